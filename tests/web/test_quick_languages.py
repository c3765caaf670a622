"""The quick evaluation in the person's language, on SQLite and PostgreSQL: chosen like a respondent's (picked on
the page, then kept; else the browser's; only among the framework's languages), its mistakes and its result too."""

from __future__ import annotations

import html
import re

from cxmaturity.frameworks import load_builtin
from cxmaturity.frameworks.quick import quick_form
from tests.web.conftest import Site

GERMAN = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
FID = "four-competencies"  # written in en, de, fr and es


def _answers(stage: str) -> dict[str, str]:
    form = quick_form(load_builtin(FID)).framework
    return {f"answer:{ind.key}": stage for _, ind in form.indicators}


def test_the_quick_form_follows_the_browsers_language(site: Site) -> None:
    client = site.client()
    page = client.get(f"/quick/{FID}", headers=GERMAN)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<html lang="de">' in page.text
    assert "Kurzbewertung: Reifegradmodell der vier CX-Kompetenzen" in text
    assert "Fragen, eine je Kompetenz" in text
    assert "Weiß nicht" in text
    assert "Mein Ergebnis ansehen" in text
    fw = quick_form(load_builtin(FID)).framework
    first = fw.indicators[0][1]
    assert fw.text(first.text, "de") in text
    assert fw.text(first.text, "en") not in text
    # No English sentence of the page is left.
    for english in ("questions, one per competency", "Don't know", "See my result", "One question per competency"):
        assert english not in text
    assert "Kurzbewertung" in html.unescape(client.get("/quick", headers=GERMAN).text)


def test_a_language_picked_on_the_page_is_kept_for_the_next_pages(site: Site) -> None:
    client = site.client()
    picked = client.get(f"/quick/{FID}?lang=fr", headers=GERMAN)
    assert "Évaluation rapide" in html.unescape(picked.text)
    assert 'hreflang="de"' in picked.text  # the other languages are offered
    later = client.get(f"/quick/{FID}", headers=GERMAN)
    assert '<html lang="fr">' in later.text


def test_a_framework_in_english_alone_keeps_its_quick_form_in_english(site: Site) -> None:
    page = html.unescape(site.client().get("/quick/cx-core-competency", headers=GERMAN).text)
    assert "questions, one per competency" in page
    assert "Weiß nicht" not in page


def test_mistakes_and_the_result_come_in_the_persons_language(site: Site) -> None:
    client = site.client()
    answers = _answers("aware")
    del answers[next(iter(answers))]
    wrong = client.submit(f"/quick/{FID}", f"/quick/{FID}", answers, headers=GERMAN)
    assert wrong.status_code == 422
    assert "beantworten Sie jede Frage" in html.unescape(wrong.text)
    result = client.submit(f"/quick/{FID}", f"/quick/{FID}", _answers("aware"), headers=GERMAN)
    assert result.status_code == 200
    text = html.unescape(result.text)
    assert "Ein erster Eindruck, mit großer Unsicherheit." in text
    assert "Ihre Stufe je Kompetenz" in text
    # Intervals with the German decimal comma ("1,23 bis 2,34"), never "1.23 to 2.34".
    assert re.search(r"\d,\d\d bis \d,\d\d", text)
    assert not re.search(r"\d\.\d\d to \d\.\d\d", text)


def test_an_unknown_quick_link_is_refused_in_the_browsers_language(site: Site) -> None:
    page = site.client().get("/q/no-such-link", headers=GERMAN)
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert "dieser Link ist ungültig" in text
    assert "Das hat nicht geklappt" in text
