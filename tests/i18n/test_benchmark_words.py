"""The benchmark's words where they are shown: the cohort's name, the privacy rule's refusal and the quartile bands
in the page's or report's language, the same words as the benchmark domain's English ones in English (which the API
and the exported files keep), and the report's peers section written in German. SYNTHETIC demo answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.privacy import CohortFilter, Decision
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.benchmarks.statistics import BANDS
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.i18n import use_locale
from cxmaturity.reporting.benchmark_charts import band_text
from cxmaturity.reporting.benchmark_view import cohort_words, decision_message, peers_section
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.result import Result

FW = load_builtin("four-competencies")  # translated into en, de, fr and es
COHORTS = (CohortFilter(), CohortFilter.of("Retail", "", "Europe"), CohortFilter.of("Retail", "250-999", "Asia"))


@dataclass(frozen=True)
class _Assessment:
    synthetic: bool = False


@dataclass(frozen=True)
class _Shown:
    """A benchmark of all organizations as ``services.benchmarks.benchmark`` returns it, as far as the view reads."""

    framework: Framework
    result: Result | None
    aggregates: tuple[Aggregate, ...]
    cohort: CohortFilter = field(default_factory=CohortFilter)
    decision: Decision = field(default_factory=lambda: Decision(True, "", 12))
    standings: tuple[Standing, ...] = ()
    own: dict[str, tuple[float, int]] = field(default_factory=dict)
    datasets: tuple[Any, ...] = ()
    references: tuple[Reference, ...] = ()
    assessment: Any = field(default_factory=_Assessment)
    k: int = 5


@pytest.mark.parametrize("cohort", COHORTS)
def test_the_cohorts_name_in_english_is_the_domains(cohort: CohortFilter) -> None:
    with use_locale("en"):
        assert cohort_words(cohort) == cohort.describe()


def test_the_cohorts_name_and_the_refusals_read_in_german() -> None:
    with use_locale("de"):
        assert cohort_words(CohortFilter()) == "alle Organisationen"
        assert cohort_words(COHORTS[1]) == "Branche Retail, Region Europe"
        assert cohort_words(COHORTS[2]) == "Branche Retail, Größenklasse 250-999, Region Asia"
        assert decision_message(Decision(False, "too-small", 0), 5).startswith(
            "In dieser Vergleichsgruppe sind weniger"
        )
        assert "Wählen Sie weniger Filter" in decision_message(Decision(False, "difference", 0), 5)
        assert decision_message(Decision(True, "", 9), 5) == ""
        assert [band_text(b) for b in BANDS] == [
            "unterstes Viertel",
            "zweites Viertel",
            "drittes Viertel",
            "oberstes Viertel",
        ]


@pytest.mark.parametrize("reason", ["too-small", "difference", ""])
def test_the_refusals_in_english_are_the_domains(reason: str) -> None:
    decision = Decision(reason == "", reason, 0)
    with use_locale("en"):
        assert decision_message(decision, 7) == decision.message(7)


def test_the_reports_peers_section_is_written_in_the_reports_language() -> None:
    result = score(demo_responses(FW), ScoringOptions(bootstrap=100))
    overall = Aggregate(OVERALL, 12, 1.75, 2.25, 3.0, {1: 2, 2: 6, 3: 4})
    shown = _Shown(FW, result, (overall,))
    german, english = peers_section(shown, "de"), peers_section(shown, "en")
    assert german is not None
    assert english is not None
    assert english.cohort == "This installation: all organizations (12 organizations)"
    assert german.cohort == "Diese Installation: alle Organisationen (12 Organisationen)"
    chart = german.charts[0]
    assert chart.title == "Organisationen je Stufe, und wo Sie stehen"
    assert "Sie sind hier" in chart.description
    # Stage names come from the framework in German; the chart's legend names the cohort in German too.
    german_stages = {FW.text(s.name, "de") for s in FW.stages}
    assert {row["stage"] for row in chart.spec["layer"][1]["data"]["values"]} <= german_stages
    assert german.you is not None
    assert german.you.stage_name in german_stages
    with use_locale("de"):
        assert german.you.sentence.startswith("Sie sind hier:")
    # Without a cohort shown and without a published reference there is nothing to compare with: no section.
    withheld = _Shown(FW, result, (), decision=Decision(False, "too-small", 0))
    assert peers_section(withheld, "de") is None
