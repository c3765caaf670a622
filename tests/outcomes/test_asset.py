"""The customer asset: the worked example of docs/outcomes.md from a CRM list, its identities as properties, and a
customer list's and O-data file's problems named by file, row and column."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.outcomes import AssetError, Customer, OutcomesError, customer_asset, read_customers, read_odata
from cxmaturity.outcomes.records import CustomerColumns

DATA = Path(__file__).resolve().parent.parent / "data" / "outcomes"


def test_it_reproduces_the_customer_asset_worked_example() -> None:
    asset = customer_asset(read_customers(DATA / "customers.csv"), date(2026, 1, 1), date(2026, 3, 31))
    f = asset.overall
    assert (f.start.customers, f.start.value) == (4, 307_000)
    assert (f.end.customers, f.end.value) == (5, 392_000)
    assert (f.gained.customers, f.gained.value) == (3, 171_000)
    assert (f.lost.customers, f.lost.value) == (2, 86_000)
    assert (f.retained.customers, f.retained.value) == (3, 227_000)
    assert (f.net_growth.customers, f.net_growth.value) == (1, 85_000)
    assert (f.retention_rate, f.churn_rate) == (0.75, 0.25)
    assert f.value_retention_rate == pytest.approx(227_000 / 307_000)
    assert list(asset.by_segment) == ["Enterprise", "SMB"]
    smb = asset.by_segment["SMB"]
    assert (smb.start.customers, smb.gained.customers, smb.lost.customers, smb.end.customers) == (1, 2, 1, 2)


def test_it_has_no_rate_without_customers_at_the_start() -> None:
    asset = customer_asset([Customer("a", date(2026, 2, 1), None, 10.0)], date(2026, 1, 1), date(2026, 3, 1))
    assert (asset.overall.retention_rate, asset.overall.churn_rate, asset.overall.gained.customers) == (None, None, 1)


def test_it_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(AssetError, match="ends"):
        customer_asset([], date(2026, 2, 1), date(2026, 1, 1))


_days = st.integers(0, 400).map(lambda d: date(2025, 1, 1) + timedelta(days=d))


@st.composite
def _customers(draw: st.DrawFn) -> list[Customer]:
    out = []
    for i in range(draw(st.integers(0, 30))):
        start = draw(_days)
        length = draw(st.one_of(st.none(), st.integers(0, 300)))
        end = None if length is None else start + timedelta(days=length)
        out.append(Customer(f"c{i}", start, end, draw(st.floats(0, 1e6)), draw(st.sampled_from([None, "A", "B"]))))
    return out


@settings(max_examples=150, deadline=None)
@given(_customers(), _days, st.integers(0, 200))
def test_the_asset_adds_up(customers: list[Customer], first: date, length: int) -> None:
    last = first + timedelta(days=length)
    asset = customer_asset(customers, first, last)
    for f in [asset.overall, *asset.by_segment.values()]:
        assert f.end.customers == f.start.customers + f.gained.customers - f.lost.customers
        assert f.end.value == pytest.approx(f.start.value + f.gained.value - f.lost.value, abs=1e-6)
        assert f.retained.customers <= min(f.start.customers, f.end.customers)
        if f.retention_rate is not None:
            assert f.churn_rate is not None
            assert 0.0 <= f.retention_rate <= 1.0
            assert f.retention_rate + f.churn_rate == pytest.approx(1.0)
            # The usual (end - new) / start agrees whenever no new customer left within the period.
            if not any(first < c.start <= last and c.end is not None and c.end <= last for c in customers):
                assert f.retention_rate == pytest.approx((f.end.customers - f.gained.customers) / f.start.customers)
    segmented = [c for c in customers if c.segment is not None]
    assert (
        sum(f.start.customers for f in asset.by_segment.values())
        == customer_asset(segmented, first, last).overall.start.customers
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_names_every_problem_of_a_customer_list(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "crm.csv",
        "Customer ID,Segment,Start Date,End Date,ARR\n"
        "C1,SMB,2025-01-01,,1000\n"
        "C2,SMB,2025-06-01,2025-05-01,1000\n"  # ends before it starts
        "C1,SMB,2025-02-01,,1000\n"  # repeated id
        "C4,SMB,1/2/2025,,-5\n",  # an unreadable date, a negative value
    )
    with pytest.raises(OutcomesError) as caught:
        read_customers(path)
    assert str(caught.value).splitlines() == [
        f"{path}:3 column 'End Date': the end date 2025-05-01 is before the start date 2025-06-01",
        f"{path}:4 column 'Customer ID': repeats customer 'C1' of row 2",
        f"{path}:5 column 'Start Date': '1/2/2025' is not a date in ISO form (YYYY-MM-DD, optionally with hh:mm:ss)",
        f"{path}:5 column 'ARR': a value per year cannot be negative (-5)",
    ]


def test_it_reads_dates_in_a_stated_format_and_names_missing_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "crm.csv", "id,since,until,value\nC1,31/12/2024,,10\n")
    customers = read_customers(path, CustomerColumns(start="since", end="until", date_format="%d/%m/%Y"))
    assert customers[0].start == date(2024, 12, 31)
    wanted = r"crm\.csv:1 column 'end': missing required column 'end' \(the header has: id, since, until, value\)"
    with pytest.raises(OutcomesError, match=wanted):
        read_customers(path)


def test_it_reads_odata_and_names_its_problems(tmp_path: Path) -> None:
    points = read_odata(DATA / "odata.csv")
    assert [(p.metric, p.day.isoformat(), p.value, p.segment) for p in points[:1]] == [
        ("repeat purchase rate", "2026-01-31", 0.41, "North")
    ]
    assert points[2].segment is None
    bad = _write(tmp_path, "o.csv", "metric,date,value\nnps,2026-01-31,x\nnps,2026-01-31,5\nnps,2026-01-31,6\n")
    with pytest.raises(OutcomesError) as caught:
        read_odata(bad)
    assert str(caught.value).splitlines() == [
        f"{bad}:2 column 'value': 'x' is not a number",
        f"{bad}:4 column 'date': 'nps' on 2026-01-31 was already given in row 3",
    ]
