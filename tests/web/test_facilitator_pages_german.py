"""The facilitator's results, assessment, mail, audit, framework and benchmark pages in German (``?lang=de``), on
SQLite and PostgreSQL: no English sentence of the product left (compared with the same page in English), and numbers
written with the German decimal comma. The framework is ``four-competencies`` (translated into en, de, fr, es), so
its texts read in German too. SYNTHETIC demo answers."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import builtin_ids, load_builtin
from cxmaturity.i18n import use_locale
from cxmaturity.i18n.phrase import render
from cxmaturity.services import accounts, assessments, organizations, plans, workshops
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import NotFound
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Organization, PlanVersion, Workshop, WorkshopItem
from tests.support.benchmarks import add_peer
from tests.web.conftest import Site

FW = load_builtin("four-competencies")
BUILTIN = Path(__file__).parents[2] / "src" / "cxmaturity" / "frameworks" / "builtin" / "four-competencies.yaml"
#: A decimal written the English way (2.45), not part of a date (03.12.2026), a longer number or a version (1.0).
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])(?<!Version )\d\.\d{1,2}(?![\d.])")
#: Texts that read alike in both languages: column names of the CSV import and a paper size's name.
ALIKE = {
    "respondent, group, indicator, answer, importance, comment",
    "respondent, group",
    "PDF, US Letter",
    "cx-maturity",
    "cxm score",
}
K = 5


def _texts(document: str) -> set[str]:
    """Every text a reader meets: element text and the names of things (titles, aria labels, alt texts); the chart
    specs' JSON is left out (its texts are checked on their own, below)."""
    document = re.sub(r"<(script|style)\b.*?</\1>", "", document, flags=re.S)
    found = [*re.split(r"<[^>]+>", document), *re.findall(r'(?:aria-label|title|alt)="([^"]*)"', document)]
    return {" ".join(html.unescape(t).split()) for t in found}


def _sentences(texts: set[str]) -> set[str]:
    """Texts of at least two words: single words (names, "Plan", "PDF") read alike in both languages."""
    return {t for t in texts if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2}


def _chart_texts(document: str) -> set[str]:
    """The titles of the live charts' axes, legends and tooltips, and their descriptions (the JSON data blocks)."""
    blocks = re.findall(r'<script type="application/json" id="chart-[^"]*">(.*?)</script>', document, flags=re.S)
    return {t for block in blocks for t in re.findall(r'"(?:title|description)": "((?:[^"\\]|\\.)*)"', block)}


@dataclass(frozen=True)
class Pages:
    site: Site
    user: int
    paths: tuple[str, ...]
    #: What people typed or the data carry (titles, group and organization names): alike in every language.
    data: frozenset[str]


def _both(pages: Pages, path: str) -> tuple[str, str]:
    client = pages.site.client(pages.user)
    english = client.get(f"{path}{'&' if '?' in path else '?'}lang=en")
    german = client.get(f"{path}{'&' if '?' in path else '?'}lang=de")
    assert english.status_code == 200, (path, english.text[:500])
    assert german.status_code == 200, (path, german.text[:500])
    assert '<html lang="de">' in german.text
    return english.text, german.text


def _english_left(pages: Pages, path: str) -> list[str]:
    english, german = _both(pages, path)
    # The signed-in person's address, in the page frame.
    english, german = (re.sub(r"[\w.+-]+@example\.com", "", p) for p in (english, german))
    if path.endswith("/audit"):
        # The log's entries are what was recorded (actions, titles, details), not sentences of the page.
        english, german = (re.sub(r"<tbody>.*?</tbody>", "", p, flags=re.S) for p in (english, german))
    both = _sentences(_texts(english)) & _sentences(_texts(german))
    both |= _sentences(_chart_texts(english)) & _sentences(_chart_texts(german))
    # Paths shown as links (/quick/ID) are addresses, not words.
    return sorted(t for t in both if t not in pages.data and t not in ALIKE and not t.startswith("/"))


@pytest.fixture(scope="module")
def org_pages(site: Site) -> Pages:
    """A four-competencies assessment answered by SYNTHETIC people in two groups, in an organization of its own with an
    owner of its own: the pages list what the organization holds (its assessments on the benchmark page, its
    organizations in the page frame), and what other tests put into a shared organization is not this page's text."""
    title = f"Leadership {secrets.token_hex(3)}"
    groups = (("Front line", 0.0, 4), ("Leadership team", 0.6, 4))
    with transaction(site.sessions) as db:
        user = accounts.sign_up(db, f"german-{secrets.token_hex(4)}@example.com", "a long enough phrase here")
        owner = Actor(user.id)
        org_id = organizations.create(db, owner, "Organization A").id
        created = assessments.create(db, owner, org_id, title, "builtin:four-competencies", groups=["Front line"])
        db.flush()
        assessments.set_status(db, owner, created.id, "open")
        assessments.store_responses(db, created, demo_responses(FW, groups=groups), {})
        assessment_id = created.id
    base = f"/assessments/{assessment_id}"
    org = f"/orgs/{org_id}"
    return Pages(
        site,
        user.id,
        (
            f"{base}/results",
            base,
            f"{base}/mail",
            f"{org}/audit",
            f"{org}/frameworks/builtin/four-competencies",
            # Compared with itself: the other built-in frameworks are written in English alone.
            f"{org}/frameworks/compare?a=builtin:four-competencies&b=builtin:four-competencies",
            f"{org}/benchmarks",
        ),
        frozenset(
            {
                title,
                f"{title} · cx-maturity",
                f"{title} (full assessment)",
                f"({FW.id} {FW.version})",
                "Organization A",
                "Front line",
                "Leadership team",
                # The other frameworks, offered for comparison, are written in English alone.
                *(f"{fw.text(fw.name)} ({fw.version})" for fw in map(load_builtin, builtin_ids()) if fw.id != FW.id),
            }
        ),
    )


@pytest.fixture(scope="module")
def benchmark_pages(site: Site) -> Pages:
    """K + 1 organizations in Europe sharing a copy of four-competencies under a fresh id (a pool of its own)."""
    text = BUILTIN.read_text(encoding="utf-8").replace("id: four-competencies", f"id: four-{secrets.token_hex(4)}", 1)
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 1)]
        organization = db.get(Organization, peers[0].organization_id)
        assert organization is not None
        name = organization.name
    return Pages(
        site,
        peers[0].owner.user_id,
        (f"/assessments/{peers[0].assessment_id}/benchmark",),
        frozenset({"Peer assessment", name}),
    )


def test_no_english_sentence_is_left_on_the_results_assessment_and_framework_pages(org_pages: Pages) -> None:
    left = {path: _english_left(org_pages, path) for path in org_pages.paths}
    assert left == {path: [] for path in org_pages.paths}


def test_no_english_sentence_is_left_on_the_benchmark_page(benchmark_pages: Pages) -> None:
    english, german = _both(benchmark_pages, benchmark_pages.paths[0])
    # The comparison has something to compare: the cohort is shown, with its charts, in both languages.
    assert f"This installation: all organizations ({K} organizations)" in english
    assert f"Diese Installation: alle Organisationen ({K} Organisationen)" in html.unescape(german)
    assert "Sie sind hier" in html.unescape(german)
    assert len(_chart_texts(german)) > 10
    assert _english_left(benchmark_pages, benchmark_pages.paths[0]) == []


def test_the_german_pages_say_enough_and_write_numbers_the_german_way(org_pages: Pages) -> None:
    english, german = _both(org_pages, org_pages.paths[0])
    # The results page is long in both languages, and its German is German.
    assert len(_sentences(_texts(german))) > 60
    assert "Ergebnisse" in german
    assert "Kompetenzen" in german
    assert ENGLISH_DECIMAL.search(" ".join(_texts(english)))
    text = " ".join(_texts(german))
    assert re.search(r"\d,\d\d", text)
    assert ENGLISH_DECIMAL.findall(text) == []
    for path in org_pages.paths[1:]:
        _, other = _both(org_pages, path)
        text = " ".join(_texts(other))
        for version in {fw.version for fw in map(load_builtin, builtin_ids())}:  # "1.0" is a version, not a number
            text = text.replace(f" {version}", " ").replace(f"({version})", "")
        found = ENGLISH_DECIMAL.findall(text)
        assert found == [], path


def test_a_german_benchmark_page_says_where_you_stand_in_german(benchmark_pages: Pages) -> None:
    _, german = _both(benchmark_pages, benchmark_pages.paths[0])
    text = html.unescape(german)
    assert "Vergleichsgruppe" in text
    # Positions among the quartiles and the live charts' legend are German too.
    assert any(band in text for band in ("unterstes Viertel", "zweites Viertel", "drittes Viertel", "oberstes Viertel"))
    assert '"Ihr Wert"' in german
    assert "Your score" not in german


# --------------------------------------------------------------------------------------------------------------------
# Sentences services write before the reader's language is known (i18n/phrase.py): refusals, a plan version's note
# (who changed what) and a workshop's agenda, each written in German on a German page, and as stored when stored
# before phrases existed.


@dataclass(frozen=True)
class Stored:
    pages: Pages
    assessment_id: int
    #: The notes of the plan's versions and the agenda's titles and reasons, as stored (English).
    notes: tuple[str, ...]
    agenda: tuple[str, ...]
    #: The title and reason of the item on screen, as stored.
    shown: tuple[str, str]


@pytest.fixture(scope="module")
def stored(site: Site) -> Stored:
    """A four-competencies assessment answered by SYNTHETIC people, with three plan versions (made, re-made, an
    initiative given an owner) and a running workshop whose agenda was built from its results."""
    title = f"Phrases {secrets.token_hex(3)}"
    with transaction(site.sessions) as db:
        user = accounts.sign_up(db, f"phrases-{secrets.token_hex(4)}@example.com", "a long enough phrase here")
        owner = Actor(user.id)
        org_id = organizations.create(db, owner, "Organization P").id
        groups = (("Front line", 0.0, 4), ("Leadership team", 0.6, 4))
        created = assessments.create(
            db, owner, org_id, title, "builtin:four-competencies", groups=[g[0] for g in groups]
        )
        db.flush()
        assessments.set_status(db, owner, created.id, "open")
        assessments.store_responses(db, created, demo_responses(FW, groups=groups), {})
        assessment_id = created.id
    with transaction(site.sessions) as db:
        first = plans.make(db, owner, assessment_id)
        plans.make(db, owner, assessment_id)
        key = first.plan.initiatives[0].key
        plans.adjust(db, owner, assessment_id, [plans.Change(key, owner="Alex")])
        notes = tuple(v.note for v in plans.versions(db, owner, assessment_id))
        workshop = workshops.start(db, owner, assessment_id)
        db.flush()
        items = workshops.items(db, workshop.id)
        agenda = tuple(t for item in items for t in (item.title, item.reason) if t)
        # On screen: an item the team disagrees on (its reason names no stage, so it reads in English as stored).
        on_screen = next((i for i in items if i.kind == "discussion"), items[0])
        workshops.show_item(db, owner, workshop.id, on_screen.id)
        shown = (on_screen.title, on_screen.reason)
    pages = Pages(site, user.id, (), frozenset({title, "Organization P", "Alex", "Front line", "Leadership team"}))
    return Stored(pages, assessment_id, notes, agenda, shown)


def test_a_plan_version_note_reads_in_the_pages_language(stored: Stored) -> None:
    path = f"/assessments/{stored.assessment_id}/plan"
    english, german = (html.unescape(page) for page in _both(stored.pages, path))
    # Three versions, each noting who changed what; in English as stored, in German as the phrase reads there.
    assert len(stored.notes) == 3
    assert any("made the first plan" in note for note in stored.notes)
    assert any("re-planned with the same settings" in note for note in stored.notes)
    assert any(": Alex" in note and "owner of" in note for note in stored.notes)
    for note in stored.notes:
        assert note in english
        assert note not in german
    assert "hat den ersten Plan erstellt" in german
    assert "hat mit denselben Einstellungen neu geplant" in german
    assert "Verantwortlich für „" in german


def test_a_plan_version_stored_before_notes_were_phrases_shows_its_note_as_written(stored: Stored) -> None:
    with transaction(stored.pages.site.sessions) as db:
        first = db.scalar(
            select(PlanVersion).where(PlanVersion.assessment_id == stored.assessment_id, PlanVersion.number == 1)
        )
        assert first is not None
        kept, first.note_phrase = first.note_phrase, None
    try:
        _, german = _both(stored.pages, f"/assessments/{stored.assessment_id}/plan")
        assert stored.notes[-1] in html.unescape(german)
    finally:
        with transaction(stored.pages.site.sessions) as db:
            again = db.scalar(
                select(PlanVersion).where(PlanVersion.assessment_id == stored.assessment_id, PlanVersion.number == 1)
            )
            assert again is not None
            again.note_phrase = kept


def test_a_workshop_agenda_reads_in_the_pages_language(stored: Stored) -> None:
    path = f"/assessments/{stored.assessment_id}/workshop"
    english, german = (html.unescape(page) for page in _both(stored.pages, path))
    # The agenda was built from the results: items to talk about, each with why; the control page lists them and
    # shows the item on screen with its reason (in English as stored; a stage the page names as the framework does,
    # rather than by its key).
    assert len(stored.agenda) >= 4
    title, reason = stored.shown
    assert title in english
    assert reason in english
    for text in stored.agenda:
        assert text not in german, text
    assert "Das Team ist sich hier uneinig" in german
    # The presenter's screen too.
    _, presenter = _both(stored.pages, f"{path}/present")
    assert not [text for text in stored.agenda if text in html.unescape(presenter)]


def test_a_workshop_agenda_stored_before_phrases_shows_as_written(stored: Stored) -> None:
    with transaction(stored.pages.site.sessions) as db:
        item = db.scalar(
            select(WorkshopItem)
            .join(Workshop, Workshop.id == WorkshopItem.workshop_id)
            .where(Workshop.assessment_id == stored.assessment_id)
            .order_by(WorkshopItem.position)
            .limit(1)
        )
        assert item is not None
        item_id, title, kept = item.id, item.title, item.title_phrase
        item.title_phrase = None
        # A new version of the room's state, as any change makes (the screens' state is kept per version).
        workshop = db.get(Workshop, item.workshop_id)
        assert workshop is not None
        workshop.version += 1
    try:
        _, german = _both(stored.pages, f"/assessments/{stored.assessment_id}/workshop")
        assert title in html.unescape(german)
    finally:
        with transaction(stored.pages.site.sessions) as db:
            again = db.get(WorkshopItem, item_id)
            assert again is not None
            again.title_phrase = kept
            running = db.get(Workshop, again.workshop_id)
            assert running is not None
            running.version += 1


def test_a_services_refusal_reads_in_the_pages_language_and_in_english_elsewhere(stored: Stored) -> None:
    # A refusal naming a value (a phrase), and a fixed one (marked with N_), on the error page.
    path = f"/assessments/{stored.assessment_id}/plan/versions/99"
    english, german = (html.unescape(page) for page in _both_status(stored.pages, path, 404))
    assert "this assessment has no plan version 99" in english
    assert "this assessment has no plan version 99" not in german
    assert "diese Bewertung hat keine Planversion 99" in german
    english, german = (html.unescape(p) for p in _both_status(stored.pages, "/assessments/2147483000/plan", 404))
    assert "no such assessment" in english
    assert "no such assessment" not in german
    assert "keine solche Bewertung" in german
    # The service's own words stay English (the JSON API, the command line, the log).
    with transaction(stored.pages.site.sessions) as db, pytest.raises(NotFound) as refused:
        plans.version(db, Actor(stored.pages.user), stored.assessment_id, 99)
    assert refused.value.message == "this assessment has no plan version 99"
    with use_locale("de"):
        assert render(refused.value.phrase) == "diese Bewertung hat keine Planversion 99"


def _both_status(pages: Pages, path: str, status: int) -> tuple[str, str]:
    client = pages.site.client(pages.user)
    english = client.get(f"{path}?lang=en")
    german = client.get(f"{path}?lang=de")
    assert (english.status_code, german.status_code) == (status, status), (path, german.text[:300])
    assert '<html lang="de">' in german.text
    return english.text, german.text


def test_a_change_no_plan_satisfies_is_explained_with_the_frameworks_names_in_the_pages_language(
    stored: Stored,
) -> None:
    # A must-do initiative the budget cannot pay for: the refusal and each line of why name the initiative (and the
    # framework) as the framework names them in the page's language, not in the words of the plan's making.
    client = stored.pages.site.client(stored.pages.user)
    url = f"/assessments/{stored.assessment_id}/plan"
    settings = {"horizon": "8", "budget": "0", "capacity": "", "max_concurrent": "3", "must": "und-a1", "must_not": ""}
    pages = {}
    for language in ("en", "de"):
        assert client.get(f"{url}?lang={language}").status_code == 200
        response = client.submit(url, f"{url}/settings", settings)
        assert response.status_code == 422, response.text[:500]
        pages[language] = html.unescape(response.text)
    client.get(f"{url}?lang=en")
    english, german = pages["en"], pages["de"]
    problems = re.search(r'<ul class="problems">(.*?)</ul>', german, re.S)
    assert problems is not None, german
    details = problems.group(1)
    assert "„Eine Beziehungs-NPS-Umfrage starten“" in details, details
    assert "Start a relationship NPS survey" not in german
    assert "Start a relationship NPS survey" in english
    assert "Kein Plan erfüllt diese Änderung" in german
