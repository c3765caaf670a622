"""Phrases: sentences a service writes before the language is known, read as English and written again in the
language they are shown in (i18n/phrase.py)."""

from __future__ import annotations

import json
import pickle

from cxmaturity.i18n import use_locale
from cxmaturity.i18n.phrase import (
    Items,
    Phrase,
    Ref,
    Score,
    english,
    named,
    phrase,
    phrase_from_data,
    render,
    to_data,
    translated,
)
from cxmaturity.reporting.units_view import withheld_text
from cxmaturity.units.suppression import TOO_FEW


def test_a_phrase_reads_as_english_and_is_written_again_in_the_active_language() -> None:
    note = phrase("1 unit not listed, %(reason)s.", reason=withheld_text(TOO_FEW, 5))
    assert english(note) == str(note)
    assert str(note) == "1 unit not listed, withheld: fewer than 5 respondents who count towards the minimum."
    # What the JSON exports write: the English sentence, whatever language is active.
    with use_locale("de"):
        assert json.loads(json.dumps({"note": english(note)})) == {"note": str(note)}
    with use_locale("de"):
        german = translated(note)
    # The parameter, a phrase itself, is translated too.
    assert german == "1 Einheit nicht aufgeführt, zurückgehalten: weniger als 5 Befragte, die für das Minimum zählen."
    # Anything else (a name someone typed) is left as it is.
    with use_locale("de"):
        assert translated("Store N1") == "Store N1"


def test_a_phrase_survives_pickling_with_its_parameters() -> None:
    note = phrase("%(stage)s (%(score)s)", stage="Aware", score=Score("0.55"))
    again = pickle.loads(pickle.dumps(note))
    assert isinstance(again, Phrase)
    assert again == note
    assert english(again) == "Aware (0.55)"
    with use_locale("fr"):
        assert translated(again) == "Aware (0,55)"


def test_a_stored_note_reads_back_and_names_things_in_the_readers_language() -> None:
    # A plan version's note as services/plans.py stores it (JSON), naming a catalog initiative by key.
    note = phrase(
        "%(author)s: %(changes)s",
        author="Alex",
        changes=Items((phrase("unlocked %(initiative)s", initiative=Ref("initiative", "map", "Journey map")),)),
    )
    again = phrase_from_data(json.loads(json.dumps(to_data(note))))
    assert again == note
    assert english(note) == "Alex: unlocked “Journey map”"
    with use_locale("de"):
        german = render(note, lambda ref: "Customer-Journey-Karte")
    assert german == "Alex: „Customer-Journey-Karte“ nicht mehr festgelegt"
    # A workshop item's title that is only an indicator's text: whole and unquoted, in the reader's language.
    title = named(Ref("statement", "q1", "We map our customers' journeys end to end."))
    assert english(title) == "We map our customers' journeys end to end."
    assert render(title, lambda ref: "Wir kartieren die Customer Journeys.") == "Wir kartieren die Customer Journeys."
    # Anything that is not a stored phrase is shown as written.
    assert phrase_from_data({"unknown": 1}) is None


def test_the_duplicate_import_refusal_quotes_the_title_as_each_language_does() -> None:
    """The title is quoted by the catalog, not by code in English quotes: „…“ in German, « … » in French."""
    refusal = phrase(
        "%(name)s holds the same answers as a file imported into \u201c%(assessment)s\u201d on %(when)s; importing it "
        "again would count its respondents twice, so nothing was imported (to import it anyway, allow a duplicate "
        "import)",
        name="copy.csv",
        assessment="Q3 survey",
        when="2026-12-04 08:40 UTC",
    )
    quoted = {
        "en": "\u201cQ3 survey\u201d",
        "de": "\u201eQ3 survey\u201c",
        "fr": "\u00ab\u00a0Q3 survey\u00a0\u00bb",
        "es": "\u00abQ3 survey\u00bb",
    }
    for language, title in quoted.items():
        with use_locale(language):
            assert title in render(refusal), language
