"""SYNTHETIC customer outcomes for the demo organization: a survey export, a CRM customer list and two operational
metrics over the last two years, written as files and imported through the same services a user's files go through.

The numbers are invented (a seeded random generator): NPS drifts up a little as the demo's maturity work goes on,
touchpoint ratings drive it, and one tiny segment shows how small segments are withheld. Every import is marked
synthetic and every page that shows it says so.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.outcomes import ColumnMapping
from cxmaturity.services import outcomes
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction

SEGMENTS = (("Online", 0.4), ("Stores", 0.0), ("Business", -0.3))
DRIVERS = ("Delivery", "Checkout", "Support")
MAPPING = ColumnMapping(
    response_id="ResponseId",
    submitted_at="Date",
    segment="Segment",
    nps="How likely are you to recommend us?",
    csat="How satisfied are you?",
    csat_scale=5,
    ces="It was easy to get what I needed",
    ces_scale=7,
    ces_high_is_easy=True,
    drivers=DRIVERS,
)
WATCHED = (
    ("nps", "", True),
    ("csat", "", True),
    ("ces", "", True),
    ("retention", "", True),
    ("operational:Repeat purchase rate (%)", "", True),
    ("operational:Complaints per 1,000 orders", "", False),
)


def _survey(path: Path, today: date, rng: np.random.Generator, count: int = 2400) -> None:
    start = datetime.combine(today - timedelta(days=730), datetime.min.time())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("ResponseId", "Date", "Segment", MAPPING.nps, MAPPING.csat, MAPPING.ces, *DRIVERS))
        for i in range(count):
            when = start + timedelta(seconds=int(rng.integers(0, 730 * 86_400)))
            progress = (when - start).days / 730  # the maturity work pays off slowly
            # A tiny segment (a handful of partner accounts) that the scorecard must withhold.
            segment, offset = ("Partners", 0.0) if i % 400 == 0 else SEGMENTS[int(rng.integers(0, len(SEGMENTS)))]
            ratings = np.clip(np.rint(rng.normal(3.4 + 0.5 * progress + offset, 0.9, len(DRIVERS))), 1, 5)
            latent = 0.9 * ratings[0] + 0.5 * ratings[1] + 1.2 * ratings[2] + rng.normal(0, 1.1)
            nps = int(np.clip(np.rint(latent - 1.5), 0, 10))
            csat = int(np.clip(np.rint(0.8 * ratings.mean() + rng.normal(0.9, 0.6)), 1, 5))
            ces = int(np.clip(np.rint(1.1 * ratings[1] + rng.normal(1.2, 0.9)), 1, 7))
            writer.writerow(
                (
                    f"SYN-{i:05d}",
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    segment,
                    nps,
                    csat,
                    ces,
                    *(int(r) for r in ratings),
                )
            )


def _customers(path: Path, today: date, rng: np.random.Generator, count: int = 600) -> None:
    first = today - timedelta(days=3 * 365)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("customer_id", "segment", "start_date", "end_date", "value_per_year"))
        for i in range(count):
            name, _ = SEGMENTS[i % len(SEGMENTS)]
            start = first + timedelta(days=int(rng.integers(0, 3 * 365)))
            # Churn grows less likely over time (hazard falls as maturity rises): most customers stay.
            ends = rng.random() < 0.35
            end = start + timedelta(days=int(rng.integers(60, 900))) if ends else None
            end = None if end is not None and end > today else end
            value = round(float(rng.lognormal(7.5 if name != "Business" else 9.0, 0.6)), 2)
            writer.writerow((f"SYN-C{i:04d}", name, start.isoformat(), end.isoformat() if end else "", value))


def _odata(path: Path, today: date, rng: np.random.Generator) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("metric", "date", "value", "segment"))
        month = date(today.year - 2, today.month, 1)
        step = 0
        while month <= today:
            end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            writer.writerow(
                ("Repeat purchase rate (%)", end.isoformat(), round(38 + 0.25 * step + rng.normal(0, 1.2), 1), "")
            )
            writer.writerow(
                ("Complaints per 1,000 orders", end.isoformat(), round(4.2 - 0.06 * step + rng.normal(0, 0.3), 2), "")
            )
            month = end + timedelta(days=1)
            step += 1


def seed(sessions: sessionmaker[Session], actor: Actor, organization_id: int, today: date | None = None) -> None:
    """Import the SYNTHETIC survey, customers and O-data into the demo organization and choose what it watches."""
    today = today or date.today()
    rng = np.random.default_rng(13)
    with tempfile.TemporaryDirectory(prefix="cxm-demo-") as folder:
        survey = Path(folder) / "SYNTHETIC-customer-survey.csv"
        customers = Path(folder) / "SYNTHETIC-customers.csv"
        odata = Path(folder) / "SYNTHETIC-operational-metrics.csv"
        _survey(survey, today, rng)
        _customers(customers, today, rng)
        _odata(odata, today, rng)
        outcomes.import_survey_file(sessions, actor, organization_id, survey, MAPPING, synthetic=True)
        outcomes.import_customers_file(sessions, actor, organization_id, customers, synthetic=True)
        outcomes.import_odata_file(sessions, actor, organization_id, odata, synthetic=True)
    with transaction(sessions) as db:
        outcomes.save_mapping(db, actor, organization_id, "Customer survey (SYNTHETIC)", MAPPING)
        for metric, label, higher in WATCHED:
            outcomes.watch(db, actor, organization_id, metric, label, higher)
