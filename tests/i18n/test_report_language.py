"""The executive report written in German: no English sentence of the product left (compared with the same report
written in English), and numbers with the German decimal comma. SYNTHETIC demo answers."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.progress import Comparison, Review, compare, review
from cxmaturity.reporting import progress_view
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting.progress_view import ProgressView
from cxmaturity.reporting.render_html import render_html
from cxmaturity.reporting.report import Report
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.services.results import AssessmentResults, Comment
from tests.progress.support import snap

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
#: A decimal written the English way (2.45), not part of a date (03.12.2026), a longer number or a version (1.0,
#: "Version 1.0" / "Modellversion 1.0").
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])(?<![Vv]ersion )\d\.\d{1,2}(?![\d.])")


@dataclass(frozen=True)
class _Assessment:
    id: int
    title: str
    synthetic: bool
    status: str


@dataclass(frozen=True)
class _Progress:
    before: AssessmentResults
    after: AssessmentResults
    comparison: Comparison
    review: Review
    statuses: dict[str, object]


def _progress(fw: Framework) -> ProgressView:
    """A comparison with an earlier assessment (SYNTHETIC answers, a year earlier, with a saved plan), built in English
    as the reports service builds it; the report renders it in its own language."""
    earlier = snap(fw, 6, 0.3, seed=3, day=date(2025, 12, 1), label="Baseline", bootstrap=100)
    later = snap(fw, 6, 0.7, seed=4, day=date(2026, 12, 1), label="Demo", bootstrap=100)
    compared = compare(earlier, later)
    plan = make_plan(fw, earlier.result, PlanRequest())
    reviewed = review(compared, earlier, later, plan=plan, plan_start=date(2026, 1, 1))
    scored = [
        AssessmentResults(_Assessment(n, s.label, True, "closed"), fw, s.result, ())  # type: ignore[arg-type]
        for n, s in enumerate((earlier, later), start=1)
    ]
    return progress_view.build(_Progress(scored[0], scored[1], compared, reviewed, {}))  # type: ignore[arg-type]


def _report(language: str) -> Report:
    fw = load_builtin("four-competencies")  # translated into en, de, fr and es
    result = score(demo_responses(fw), ScoringOptions(bootstrap=100))
    first = fw.competencies[0]
    return reporting.build(
        result,
        fw,
        title="Demo",
        organization="Example Retail Co.",
        generated_at=NOW,
        synthetic_label=SYNTHETIC_LABEL,
        comments=[Comment(first.indicators[0].key, first.key, "Front line", "SYNTHETIC comment.")],
        plan=make_plan(fw, result, PlanRequest()),
        plan_version=1,
        plan_made_at=NOW,
        progress=_progress(fw),
        language=language,
    )


def _texts(document: str) -> set[str]:
    """Every text a reader meets: element text, and chart names and descriptions (titles, aria labels)."""
    document = re.sub(r"<style.*?</style>", "", document, flags=re.S)
    found = [*re.split(r"<[^>]+>", document), *re.findall(r'(?:aria-label|title|alt)="([^"]*)"', document)]
    return {" ".join(html.unescape(t).split()) for t in found}


def _sentences(texts: set[str]) -> set[str]:
    """Texts of at least two words: single words (names, "Plan", "Initiative") read alike in both languages."""
    return {t for t in texts if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2}


@pytest.fixture(scope="module")
def reports() -> tuple[Report, str, Report, str]:
    english, german = _report("en"), _report("de")
    return english, render_html(english), german, render_html(german)


def test_no_english_sentence_is_left_in_the_german_report(reports: tuple[Report, str, Report, str]) -> None:
    _, english_html, german, german_html = reports
    assert german.language == "de"
    # What people typed or the data carry reads alike in every language. A plan's reasons are phrases the optimizer
    # made when the plan was made, rendered here in German with the framework's German names (docs/translations.md).
    assert german.plan is not None
    assert german.plan.items
    data = {"Example Retail Co.", "Front line", "Leadership team", "SYNTHETIC comment.", "four-competencies"}
    assert german.progress is not None
    assert german.progress.notes
    assert any("Kompetenzen verglichen" in n for n in german.progress.notes)
    left = sorted(t for t in _sentences(_texts(english_html)) & _sentences(_texts(german_html)) if t not in data)
    assert left == []
    assert all(" is at " not in i.reason for i in german.plan.items)
    assert any(" steht auf " in i.reason for i in german.plan.items)
    # The comparison has something to compare: both reports are long, and their sentences differ.
    assert len(_sentences(_texts(german_html))) > 150
    assert "Zusammenfassung" in german_html or "Management" in german_html


def test_the_german_report_writes_numbers_and_dates_the_german_way(reports: tuple[Report, str, Report, str]) -> None:
    english, _, german, german_html = reports
    assert re.search(r"\d,\d\d", german.overall_sentence)
    assert ENGLISH_DECIMAL.search(english.overall_sentence)
    assert not ENGLISH_DECIMAL.search(german.overall_sentence)
    for section in german.sections:
        assert not ENGLISH_DECIMAL.search(section.sentence), section.sentence
    assert "03.12.2026" in german_html
    assert "3 Dec 2026" not in german_html
    # Nowhere in the rendered report but in the plan's reasons (written when the plan was made).
    assert german.plan is not None
    reasons = " ".join(i.reason for i in german.plan.items)
    text = " ".join(_texts(german_html))
    assert {m for m in ENGLISH_DECIMAL.findall(text) if m not in reasons} == set()
