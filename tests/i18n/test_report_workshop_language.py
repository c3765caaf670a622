"""The report's workshop section in the report's language (issue 16): competencies, stages, statements and answer
options named as the framework names them in that language, not with the words stored when the workshop started;
a key the framework no longer knows keeps those stored words. SYNTHETIC demo answers."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.i18n.phrase import Ref, english, phrase
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting import workshop_view
from cxmaturity.reporting.render_html import render_html
from cxmaturity.reporting.report import Report
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.result import Result
from cxmaturity.workshops.agenda import build_agenda
from cxmaturity.workshops.record import Record, RecordAgreed, RecordCommitment, RecordItem

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
#: A competency the framework had when the workshop started and has no longer, named as it was then.
RETIRED = Ref("competency", "retired-competency", "Retired journeys")


def _record(fw: Framework, result: Result) -> Record:
    """A workshop's record as the service reads it: the agenda stored when it started (English phrases, the framework
    being English), a revealed vote on a statement, an agreed answer, and an item about a competency since removed."""
    seeds = build_agenda(fw, result)
    assert any(s.competency for s in seeds)
    statement = fw.indicator_keys[0]
    items = [
        RecordItem(s.title, s.kind, s.indicator, False, ({"4": 3, "2": 1},) if s.indicator else (), s.title_phrase)
        for s in seeds
    ]
    retired = phrase("%(competency)s: a gap of %(gap)s to %(target)s", competency=RETIRED, gap="1", target="x")
    items.append(RecordItem(english(retired), "gap", None, False, (), retired))
    items.append(RecordItem("Anything else?", "custom", None, True, (), None))
    agreed = RecordAgreed(
        statement,
        fw.text(fw.indicator(statement).text),
        "4",
        "Agree",
        "SYNTHETIC: we saw the survey",
        "",
    )
    return Record(
        workshop_id=7,
        number=1,
        status="finished",
        started_at="2026-12-01T09:00",
        finished_at="2026-12-01T11:00",
        participants=6,
        items=tuple(items),
        agreed=(agreed,),
        definition="SYNTHETIC definition.",
        # One kept, one not reviewed yet: the summary counts both, and each line says its outcome.
        commitments=(
            RecordCommitment("SYNTHETIC lead", "SYNTHETIC: call five customers", "2027-01-15", True),
            RecordCommitment("", "SYNTHETIC: map the returns journey", "2027-02-01", None),
        ),
        private_commitments=0,
        next_steps=(),
        reviewed_in="SYNTHETIC spring check",
    )


def _report(language: str) -> tuple[Report, str]:
    fw = load_builtin("four-competencies")  # written in English, translated into de, fr and es
    surveyed = score(demo_responses(fw), ScoringOptions(bootstrap=50))
    agreed = score(demo_responses(fw, seed=11), ScoringOptions(bootstrap=50))
    # Built as the reports service builds it: in the framework's own language, before the report's is known.
    section = workshop_view.build(_record(fw, surveyed), fw, surveyed, agreed)
    report = reporting.build(
        surveyed,
        fw,
        title="Demo",
        organization="SYNTHETIC Retail Co.",
        generated_at=NOW,
        synthetic_label=SYNTHETIC_LABEL,
        workshop=section,
        language=language,
    )
    found = re.search(r'<section id="workshop".*?</section>', render_html(report), re.DOTALL)
    assert found is not None
    return report, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


@pytest.fixture(scope="module")
def sections() -> dict[str, tuple[Report, str]]:
    return {language: _report(language) for language in ("en", "de")}


def test_the_german_workshop_section_names_things_in_german(sections: dict[str, tuple[Report, str]]) -> None:
    fw = load_builtin("four-competencies")
    german_fw = fw.in_language("de")
    _, german = sections["de"]
    _, english_text = sections["en"]
    for competency in fw.competencies:
        english_name, german_name = fw.text(competency.name), german_fw.text(competency.name)
        assert english_name != german_name
        assert german_name in german
        assert english_name in english_text
        assert not re.search(rf"\b{re.escape(english_name)}\b", german), english_name
    # Stages (as surveyed and as agreed) and the agenda's titles too, with the German decimal comma.
    assert any(german_fw.text(s.name) in german for s in fw.stages)
    for stage in fw.stages:
        assert f"{fw.text(stage.name)} (" not in german
    assert re.search(r"\(\d,\d\d\)", german)
    assert "hält die Gesamtstufe zurück" in german or "Lücke von" in german
    # The agreed answer and the votes: the statement and the options as the framework writes them in German.
    statement = fw.indicator_keys[0]
    assert german_fw.text(german_fw.indicator(statement).text) in german
    assert fw.text(fw.indicator(statement).text) not in german
    assert "Stimme zu" in german
    assert "Agree" not in german.replace("SYNTHETIC", "")


def test_a_key_the_framework_no_longer_knows_keeps_its_stored_name(sections: dict[str, tuple[Report, str]]) -> None:
    for language, (_, text) in sections.items():
        assert RETIRED.text in text, language
    report, german = sections["de"]
    assert report.workshop is not None
    # The sentence around it is German; the name is the one stored when the workshop started.
    assert f"{RETIRED.text}: eine Lücke von" in german
    # Items the facilitator typed read as written.
    assert "Anything else?" in german


def test_the_english_report_reads_as_before(sections: dict[str, tuple[Report, str]]) -> None:
    report, text = sections["en"]
    assert report.workshop is not None
    names = [english(row.name) for row in report.workshop.rows]
    fw = load_builtin("four-competencies")
    assert names == [*(fw.text(fw.competency(c.key).name) for c in report.view.competencies), "Overall"]
    assert "Agree 3 · Disagree 1" in text


def test_the_german_workshop_section_dates_and_counts_in_german(sections: dict[str, tuple[Report, str]]) -> None:
    """The start (ISO in the record) as the locale writes a day and a time, the commitments' days and outcomes, and
    the summary counted from the stored outcomes, all in the report's language."""
    _, german = sections["de"]
    _, english_text = sections["en"]
    # English first, so that the German assertions compare against something the section really shows.
    assert "(Dec 1, 2026, 9:00 AM UTC, 6 participants)" in english_text
    assert "1 of 2 public commitments kept, 1 not reviewed yet, as reviewed at SYNTHETIC spring check." in english_text
    assert "SYNTHETIC: call five customers (by Jan 15, 2027): kept" in english_text
    assert "(01.12.2026, 09:00 UTC, 6 Teilnehmende)" in german
    assert "2026-12-01" not in german
    assert (
        "1 von 2 öffentlichen Zusagen eingehalten, 1 noch nicht überprüft, wie überprüft in SYNTHETIC spring check."
        in german
    )
    assert "SYNTHETIC: call five customers (bis 15.01.2027): eingehalten" in german
    assert "SYNTHETIC: map the returns journey (bis 01.02.2027): noch nicht überprüft" in german
    for words in ("public commitment", "not reviewed yet", "kept", "as reviewed at", "2027-01-15"):
        assert words not in german, words
