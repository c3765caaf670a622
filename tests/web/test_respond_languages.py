"""Respondents answer in their language (the browser's, or one chosen on the page), and answers in any language score
together; on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.scoring.result import Result
from cxmaturity.services import assessments, results
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Invitation
from cxmaturity.web import security
from tests.web.conftest import Cast, Site

FW = load_builtin("four-competencies")
GERMAN = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"accept-language": "en-GB,en;q=0.8"}


def _assessment(site: Site, cast: Cast, invitations: int) -> tuple[int, list[str]]:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Languages {secrets.token_hex(3)}", "builtin:four-competencies", min_group_size=1
        )
        assessments.set_status(db, actor, assessment.id, "open")
        return assessment.id, assessments.create_invitations(db, actor, assessment.id, None, invitations)


def _answers(fw: Framework, competency: int, choice: int) -> dict[str, str]:
    """Answer every indicator of a page with its option number ``choice`` (the same keys in every language)."""
    comp = fw.competencies[competency]
    return {f"answer:{i.key}": fw.answer_keys(i)[min(choice, len(fw.answer_keys(i)) - 1)] for i in comp.indicators}


def _answer_all(site: Site, token: str, choice: int, headers: dict[str, str], query: str = "") -> None:
    """Answer every page as a browser would: read the page (its form's action), post it, follow the redirect."""
    client = site.client()
    pages = len(FW.competencies)
    for n in range(1, pages + 1):
        action = "finish" if n == pages else "next"
        form = {
            "csrf_token": security.respondent_csrf(site.settings, token),
            "action": action,
            **_answers(FW, n - 1, choice + n % 2),
        }
        response = client.post(f"/r/{token}/p/{n}{query}", data=form, headers=headers)
        assert response.status_code == 303, response.text[:500]


def _result(site: Site, assessment_id: int) -> Result:
    with site.sessions() as db:
        assessment = db.get(Assessment, assessment_id)
        assert assessment is not None
        return results.results_of(db, assessment).result


def _language_of(site: Site, token: str) -> str | None:
    with site.sessions() as db:
        return db.scalar(select(Invitation.language).where(Invitation.token_hash == digest(token)))


def test_it_shows_the_pages_in_the_browsers_language(site: Site, cast: Cast) -> None:
    _, (token,) = _assessment(site, cast, 1)
    client = site.client()
    welcome = client.get(f"/r/{token}", headers=GERMAN)
    assert welcome.status_code == 200
    assert '<html lang="de">' in welcome.text
    assert "Ihre Antworten sind anonym" in welcome.text
    assert FW.text(FW.name, "de") in welcome.text
    assert welcome.headers["vary"] == "Accept-Language"
    page = client.get(f"/r/{token}/p/1", headers=GERMAN).text
    first = FW.competencies[0]
    assert f"<h1>{FW.text(first.name, 'de')}</h1>" in page  # Verstehen
    assert FW.text(first.indicators[0].text, "de") in page
    assert "Stimme voll und ganz zu" in page  # the scale's labels
    assert "Weiß nicht" in page  # the page's own texts, from the catalog
    assert "Trifft nicht zu" in page
    assert "Seite 1 von 4" in page
    assert first.indicators[0].text["en"] not in page  # type: ignore[index]


def test_it_takes_a_language_chosen_on_the_page_over_the_browsers(site: Site, cast: Cast) -> None:
    _, (token,) = _assessment(site, cast, 1)
    client = site.client()
    welcome = client.get(f"/r/{token}?lang=de", headers=ENGLISH).text
    assert '<html lang="de">' in welcome
    # The picker names each language in its own words and marks the one shown.
    assert 'hreflang="fr" lang="fr">Français</a>' in welcome
    assert '<strong aria-current="true" lang="de">Deutsch</strong>' in welcome
    assert f'href="/r/{token}/p/1?lang=de">Beginnen</a>' in welcome
    first = FW.competencies[0]
    form = {"csrf_token": security.respondent_csrf(site.settings, token), "action": "next", **_answers(FW, 0, 2)}
    saved = client.post(f"/r/{token}/p/1?lang=de", data=form, headers=ENGLISH)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/r/{token}/p/2?lang=de"
    assert _language_of(site, token) == "de"
    # Once saved, the invitation remembers the language, on any device and whatever the browser asks for.
    again = client.get(f"/r/{token}/p/1", headers=ENGLISH).text
    assert f"<h1>{FW.text(first.name, 'de')}</h1>" in again
    switched = client.get(f"/r/{token}/p/1?lang=es", headers=ENGLISH).text
    assert f"<h1>{FW.text(first.name, 'es')}</h1>" in switched


def test_it_falls_back_to_the_frameworks_language_for_a_language_it_does_not_offer(site: Site, cast: Cast) -> None:
    _, (token,) = _assessment(site, cast, 1)
    page = site.client().get(f"/r/{token}/p/1?lang=it", headers={"accept-language": "it-IT,ja;q=0.8"}).text
    assert '<html lang="en">' in page
    assert f"<h1>{FW.text(FW.competencies[0].name, 'en')}</h1>" in page


def test_a_framework_in_one_language_ignores_the_browsers(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(db, actor, cast.org_a, "English only", "builtin:xm-six-competencies")
        assessments.set_status(db, actor, assessment.id, "open")
        (token,) = assessments.create_invitations(db, actor, assessment.id, None, 1)
    page = site.client().get(f"/r/{token}", headers=GERMAN).text
    # The questions exist in English only: the whole page stays English rather than mixing two languages.
    assert '<html lang="en">' in page
    assert "Your answers are anonymous" in page
    assert "respond-languages" not in page


def test_a_wrong_answer_is_explained_in_the_respondents_language(site: Site, cast: Cast) -> None:
    _, (token,) = _assessment(site, cast, 1)
    key = FW.competencies[0].indicators[0].key
    form = {"csrf_token": security.respondent_csrf(site.settings, token), "action": "next", f"answer:{key}": "x"}
    response = site.client().post(f"/r/{token}/p/1", data=form, headers=GERMAN)
    assert response.status_code == 422
    assert "Frage 1: „x“ ist keine Antwort auf diese Frage. Von dieser Seite wurde noch nichts gespeichert" in (
        response.text
    )


def test_answers_in_german_and_english_score_together(site: Site, cast: Cast) -> None:
    mixed, (german, english) = _assessment(site, cast, 2)
    _answer_all(site, german, 3, GERMAN)
    _answer_all(site, english, 1, ENGLISH)
    assert _language_of(site, german) == "de"
    assert _language_of(site, english) == "en"
    done = site.client().get(f"/r/{german}/done", headers=ENGLISH).text  # the stored language wins
    assert "Vielen Dank!" in done
    # The plural follows the number of people (one here), not the first value in the sentence.
    assert "nur für Gruppen von mindestens 1 Person, nie" in done
    same, (first, second) = _assessment(site, cast, 2)
    _answer_all(site, first, 3, ENGLISH)
    _answer_all(site, second, 1, ENGLISH)

    together, alone = _result(site, mixed), _result(site, same)
    assert together.respondents == alone.respondents == 2
    # The language changes only the texts shown: the same answer keys give the same result, competency by competency.
    assert [(c.key, c.stage, c.score, c.respondents) for c in together.competencies] == [
        (c.key, c.stage, c.score, c.respondents) for c in alone.competencies
    ]
    assert together.overall.score == alone.overall.score
    assert together.overall.stage == alone.overall.stage is not None


def test_the_report_is_written_in_the_language_asked_for(site: Site, cast: Cast) -> None:
    assessment_id, (token,) = _assessment(site, cast, 1)
    _answer_all(site, token, 2, GERMAN)
    client = site.client(cast.viewer)
    german = client.get(f"/assessments/{assessment_id}/report.html?lang=de").text
    assert '<html lang="de">' in german
    assert "Zusammenfassung für die Geschäftsleitung" in german
    assert FW.text(FW.competencies[0].name, "de") in german
    assert FW.text(FW.stages[0].name, "de") in german or FW.text(FW.stages[1].name, "de") in german
    browser = client.get(f"/assessments/{assessment_id}/report.html", headers={"accept-language": "fr-CH, fr;q=0.9"})
    assert "Synthèse pour la direction" in browser.text
    unknown = client.get(f"/assessments/{assessment_id}/report.html?lang=xx")
    assert unknown.status_code == 422
