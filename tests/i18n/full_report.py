"""One executive report with every optional part, as the reports service builds it, for the tests that read it back
in each language (the HTML/PDF report in test_report_charts_language, the slides in test_pptx_language).
SYNTHETIC demo answers, outcomes and workshop."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from cxmaturity.benchmarks.model import OVERALL, Aggregate
from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting import workshop_view
from cxmaturity.reporting.benchmark_view import peers_section
from cxmaturity.reporting.report import Report
from cxmaturity.reporting.scorecard import (
    METRIC_NAMES,
    VERDICT_NAMES,
    MaturityPoint,
    MetricLine,
    MetricPoint,
    Scorecard,
)
from cxmaturity.reporting.scorecard import build as scorecard
from cxmaturity.reporting.units_summary import UnitCompetency, UnitRow, UnitsSummary
from cxmaturity.reporting.units_view import withheld_text
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.services.results import Comment
from cxmaturity.units.suppression import TOO_FEW
from cxmaturity.workshops.record import Record, RecordAgreed, RecordCommitment, RecordItem, RecordStep
from tests.i18n.test_benchmark_words import _Shown
from tests.i18n.test_report_language import _progress

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
#: A decimal written the English way (2.45), not part of a date (03.12.2026), a longer number or a version ("Version
#: 1.0", "versión 1.0").
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])(?<![Vv]ersion )(?<![Vv]ersión )\d\.\d{1,2}(?![\d.])")
#: What people typed or the data carry: the organization, the assessment's and the campaign's titles, unit names, a
#: metric's label, the workshop's commitments and steps. They read alike in every language, by design.
TYPED = {
    "Example Retail Co.",
    "Spring store survey",
    "North region",
    "Repeat purchase rate",
    "Call five unhappy customers a week",
    "Map the returns journey",
}

FW = load_builtin("four-competencies")  # translated into en, de, fr and es


def card() -> Scorecard:
    """Outcome metrics by quarter beside maturity (SYNTHETIC), as the scorecard service hands them over: built-in
    metrics named by phrases, verdicts as phrases, a custom metric with the label its facilitator typed."""
    maturity = [
        MaturityPoint(1, "Spring check", date(2026, 2, 1), "2026-Q1", "4C", 12, "defined", 2.345, (2.1, 2.6), ()),
        MaturityPoint(2, "Autumn check", date(2026, 9, 1), "2026-Q3", "4C", 14, "managed", 3.02, (2.8, 3.2), ()),
    ]
    nps = MetricLine(
        "nps",
        METRIC_NAMES["nps"],
        "points",
        True,
        (MetricPoint("2026-Q1", 12.04, (3.0, 21.0), 80), MetricPoint("2026-Q2", 18.5, (10.25, 26.0), 90)),
        VERDICT_NAMES["improved"],
    )
    repeat = MetricLine("operational:repeat_rate", "Repeat purchase rate", "%", True, (MetricPoint("2026-Q3", 41.5),))
    return scorecard("Example Retail Co.", maturity, [nps, repeat], None)


def units(local: Framework) -> UnitsSummary:
    """A campaign's roll-up as the units service hands it over: names typed, stage names in the report's language
    (``local`` is the framework in that language)."""
    stage = local.text(local.stages[1].name)
    comps = tuple(
        UnitCompetency(local.text(c.name), stage, 1.54 + n / 10, (1.2, 1.87)) for n, c in enumerate(local.competencies)
    )
    comps = (*comps[:-1], UnitCompetency(local.text(local.competencies[-1].name), None, None))
    return UnitsSummary(
        "Spring store survey",
        (
            UnitRow("Example Retail Co.", 0, 40, stage, 1.5432, (1.2, 1.8), competencies=comps),
            UnitRow("North region", 1, 22, stage, 2.0, (1.7, 2.31), competencies=comps),
        ),
        competencies=tuple(local.text(c.name) for c in local.competencies),
        names_hidden=True,
        notes=(
            phrase(N_("1 unit not listed, %(reason)s."), reason=withheld_text(TOO_FEW, 5)),
            phrase(N_("The minimum group size is %(size)d respondents."), size=5),
        ),
    )


def _record() -> Record:
    """A finished workshop: one agreed answer, a kept and an unreviewed public commitment, a private one, a step."""
    first = FW.competencies[0]
    return Record(
        workshop_id=3,
        number=1,
        status="finished",
        started_at="2026-11-20",
        finished_at="2026-11-20",
        participants=7,
        items=(RecordItem(first.indicators[0].key, "indicator", first.indicators[0].key, False, ()),),
        agreed=(RecordAgreed(first.indicators[0].key, "Q", "3", "3", "We checked", "Minutes"),),
        definition="",
        commitments=(
            RecordCommitment("Sam", "Call five unhappy customers a week", "2027-01-15", True),
            RecordCommitment("", "Map the returns journey", "2027-02-01", None),
        ),
        private_commitments=1,
        next_steps=(RecordStep("Map the returns journey", first.key, "Alex", True),),
        reviewed_in="Spring 2027 check",
    )


def full_report(language: str, *, with_progress_and_peers: bool = True) -> Report:
    """Every optional part, each built as the reports service builds it: the progress view in English (the report
    renders it in its language), the peers section, the units and the workshop in the report's language, the
    outcomes as data. The slides have no progress or peers slide, so their test leaves those parts out."""
    result = score(demo_responses(FW), ScoringOptions(bootstrap=100))
    agreed = score(demo_responses(FW, seed=11), ScoringOptions(bootstrap=0))
    first = FW.competencies[0]
    local = FW.in_language(language)
    cohort = Aggregate(OVERALL, 12, 1.75, 2.25, 3.0, {1: 2, 2: 6, 3: 4})
    return reporting.build(
        result,
        FW,
        title="Demo",
        organization="Example Retail Co.",
        generated_at=NOW,
        synthetic_label=SYNTHETIC_LABEL,
        comments=[Comment(first.indicators[0].key, first.key, "Front line", "SYNTHETIC comment.")],
        plan=make_plan(FW, result, PlanRequest()),
        plan_version=2,
        plan_made_at=NOW,
        progress=_progress(FW) if with_progress_and_peers else None,
        scorecard=card(),
        workshop=workshop_view.build(_record(), local, result, agreed),
        peers=peers_section(_Shown(FW, result, (cohort,)), language) if with_progress_and_peers else None,
        units=units(local),
        language=language,
    )
