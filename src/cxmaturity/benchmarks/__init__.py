"""Peer benchmarks: the privacy rules that decide which cohorts may be shown, and the math on aggregates.

Pure domain code (no web, no database): the services feed it counts and order statistics that SQL computed, and it
decides what may be published and how to read it. docs/benchmarks.md states every rule. Import from the modules
(``privacy``, ``statistics``, ``dataset``, ``reference``): this package file stays empty so that reading a setting
does not load numpy.
"""
