"""The customer asset over a period (Bliss's Maturity Map: "the growth or loss of your customer asset"), from a CRM
customer list: how many customers and how much value per year at the start and the end, gained, lost, net growth,
retention and churn, overall and by segment.

A customer counts on day d when ``start <= d < end`` (an empty end: still a customer). For the period from ``first``
to ``last``:

- start: customers on ``first``; end: customers on ``last``;
- gained: customers whose start falls in (first, last]; lost: customers whose end falls in (first, last] (a customer
  gained and lost within the period counts in both), so end = start + gained - lost, and net growth = end - start;
- retained: customers on ``first`` who are still customers on ``last``;
- retention rate = retained / start, which equals the usual (end - gained) / start when no customer gained in the
  period was also lost in it; churn rate = 1 - retention rate = (start customers lost) / start.

Value is each customer's value per year as the list states it (one value per customer: a CRM export carries no
history); the value rates are the same ratios of value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from cxmaturity.outcomes.model import Customer


class AssetError(ValueError):
    """A period that cannot be measured (its end before its start)."""


@dataclass(frozen=True)
class Amount:
    """A number of customers and their value per year."""

    customers: int = 0
    value: float = 0.0

    def plus(self, customer: Customer) -> Amount:
        return Amount(self.customers + 1, self.value + customer.value)


@dataclass(frozen=True)
class AssetFigures:
    """The customer asset of one population (everyone, or one segment) over the period."""

    start: Amount
    end: Amount
    gained: Amount
    lost: Amount
    retained: Amount
    #: None where nobody was a customer at the start.
    retention_rate: float | None
    churn_rate: float | None
    value_retention_rate: float | None

    @property
    def net_growth(self) -> Amount:
        """Return end minus start, in customers and value."""
        return Amount(self.end.customers - self.start.customers, self.end.value - self.start.value)


@dataclass(frozen=True)
class CustomerAsset:
    first: date
    last: date
    overall: AssetFigures
    #: By segment, in name order; customers without a segment are counted only overall.
    by_segment: dict[str, AssetFigures] = field(default_factory=dict)


class _Accumulator:
    def __init__(self) -> None:
        self.start = Amount()
        self.end = Amount()
        self.gained = Amount()
        self.lost = Amount()
        self.retained = Amount()

    def add(self, c: Customer, first: date, last: date) -> None:
        at_start = c.active_on(first)
        at_end = c.active_on(last)
        if at_start:
            self.start = self.start.plus(c)
        if at_end:
            self.end = self.end.plus(c)
        if at_start and at_end:
            self.retained = self.retained.plus(c)
        if first < c.start <= last:
            self.gained = self.gained.plus(c)
        if c.end is not None and first < c.end <= last and c.start <= c.end:
            self.lost = self.lost.plus(c)

    def figures(self) -> AssetFigures:
        def rate(part: float, whole: float) -> float | None:
            return part / whole if whole > 0 else None

        retention = rate(self.retained.customers, self.start.customers)
        return AssetFigures(
            start=self.start,
            end=self.end,
            gained=self.gained,
            lost=self.lost,
            retained=self.retained,
            retention_rate=retention,
            churn_rate=None if retention is None else 1.0 - retention,
            value_retention_rate=rate(self.retained.value, self.start.value),
        )


def customer_asset(customers: Iterable[Customer], first: date, last: date) -> CustomerAsset:
    """Return the customer asset from ``first`` to ``last`` overall and by segment (one pass over the customers)."""
    if last < first:
        raise AssetError(f"the period ends ({last.isoformat()}) before it starts ({first.isoformat()})")
    overall = _Accumulator()
    segments: dict[str, _Accumulator] = {}
    for customer in customers:
        overall.add(customer, first, last)
        if customer.segment is not None:
            segments.setdefault(customer.segment, _Accumulator()).add(customer, first, last)
    return CustomerAsset(first, last, overall.figures(), {name: segments[name].figures() for name in sorted(segments)})
