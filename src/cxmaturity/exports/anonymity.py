"""Anonymity of an answers export: pseudonyms in a random order, and only group names that cannot single anyone out.

Respondent ids, invitations and the order people answered in never reach an export: respondents get pseudonyms
``R0001``, ``R0002``, … in an order drawn at random for each export (so neither the order nor the pseudonym says
who answered first, and two exports do not share pseudonyms).

Group names follow the dashboard's rule. A row names its group only when the results show that group. Respondents
of other groups and respondents without a group get an empty group: they are *withheld*, not merged into a
pseudo-group, because a named "other" group would be a group the results do not show, and re-importing the file
would make it one. The scoring shows groups only when the respondents it leaves out are none or at least the minimum
size (complementary suppression, docs/scoring.md), so the unnamed rows never isolate anyone. This module checks
that rule again for any set of shown groups it is given: if the unnamed respondents would be fewer than the minimum,
it names no group at all. Both checks count only the respondents that count towards a group's size
(``ResponseMatrix.counts_for_groups``): answers the facilitator entered, imported or could have entered never lift a
group into view.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupLabels:
    """The group each respondent's row names ("" for none), and what was withheld."""

    labels: tuple[str, ...]
    #: Group names the rows keep (each shown in the results).
    kept: tuple[str, ...]
    #: Respondents whose rows name no group (without a group, or withheld).
    unnamed: int
    #: Groups with respondents whose name the rows do not carry.
    withheld_groups: int
    #: True when every group name was removed because the withheld respondents alone were too few.
    all_withheld: bool


def group_labels(
    groups: Sequence[str], shown: Collection[str], min_group_size: int, counted: Sequence[bool] | None = None
) -> GroupLabels:
    """Return each respondent's group label for an export, given the groups the results show and which respondents
    count towards a group's size (all when ``counted`` is None)."""
    sizes = Counter(groups)
    counts = Counter(g for g, n in zip(groups, counted, strict=True) if n) if counted is not None else sizes
    kept = {g for g in shown if g and counts[g] >= min_group_size}
    left_out = sum(n for g, n in counts.items() if g not in kept)
    all_withheld = bool(kept) and 0 < left_out < min_group_size
    if all_withheld:
        kept = set()
    unnamed = sum(n for g, n in sizes.items() if g not in kept)
    named_groups = {g for g in sizes if g}
    return GroupLabels(
        labels=tuple(g if g in kept else "" for g in groups),
        kept=tuple(sorted(kept)),
        unnamed=unnamed,
        withheld_groups=len(named_groups - kept),
        all_withheld=all_withheld,
    )


def pseudonym_order(count: int, rng: random.Random | None = None) -> list[int]:
    """Return the respondents' rows in the order they get pseudonyms: ``order[k]`` is shown as ``pseudonym(k)``.

    The default generator draws from the operating system, so the order cannot be recomputed from anything stored.
    """
    order = list(range(count))
    (rng or random.SystemRandom()).shuffle(order)
    return order


def pseudonym(index: int, count: int) -> str:
    """Return the pseudonym of the ``index``-th row (from 0): R0001, R0002, … (wider beyond 9,999 respondents)."""
    return f"R{index + 1:0{max(4, len(str(count)))}d}"
