"""Every page of the app in German: the sweep. Each page the accessibility audit opens (its ``PAGES`` list, which a
test there holds to the app's routes), and the pages it cannot reach without a browser (a long job, the SSO error
page, the respondent's message pages, the quick evaluation's refusal), is rendered on the seeded demo in English and
in German; a text that reads the same on both (element text, titles, labels, placeholders, the live charts' words)
is English left untranslated, unless it is data (a name someone typed, a title, a text of a framework written in
English alone), a number, or a word that reads alike in both languages (``ALIKE``, each with why).

The demo's assessments use ``xm-six-competencies``, written in English alone, so the respondent and quick evaluation
pages would rightly stay English; they are swept on an assessment of ``four-competencies`` (en, de, fr, es) instead.
SYNTHETIC demo data (cxmaturity.demo_site).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity import demo_outcomes
from cxmaturity.demo_site import DemoSite
from cxmaturity.frameworks import builtin_ids, load_builtin
from cxmaturity.services import (
    accounts,
    assessments,
    campaigns,
    member_invitations,
    organizations,
    outcomes,
    quick_links,
    respond,
    units,
    workshops,
)
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import LongJob, Organization
from cxmaturity.web.app import create_app
from cxmaturity.web.context import SESSION_COOKIE
from cxmaturity.web.pages.workshops import PARTICIPANT_COOKIE
from cxmaturity.web.workshop_actions import facilitate
from cxmaturity.workshops import vote_options
from tests.e2e.test_accessibility_browser import PAGES, Demo, Page
from tests.support.demo import copy_demo, demo_scene, demo_settings
from tests.web.client import Portal, WebClient

TRANSLATED = "four-competencies"
REFERENCES = Path(__file__).parents[2] / "src" / "cxmaturity" / "benchmarks" / "references"

#: Texts of one word or two that read alike in English and German, and why they are not English left over.
ALIKE = {
    "cx-maturity": "the product's name",
    "Plan": "German too",
    "Workshop": "German too",
    "Status": "German too",
    "Version": "German too",
    "Name": "German too",
    "Region": "German too",
    "Code": "German too",
    "Optimal": "German too",
    "Initiative": "German too",
    "(optional)": "German too",
    "Agenda": "German too",
    "Median": "German too",
    "PDF, US Letter": "a paper size's name",
    "rwg(j)": "a statistic's name",
    "rwg": "a statistic's name",
    "PDF": "a format",
    "CSV": "a format",
    "csv": "the tool a file came from (a format)",
    "Contoso Entra ID": "an example provider's name (a placeholder)",
    "XLSX": "a format",
    "JSON": "a format",
    "NPS": "a metric's abbreviation",
    "CSAT": "a metric's abbreviation",
    "CES": "a metric's abbreviation",
    "English": "a language named in its own words",
    "Deutsch": "a language named in its own words",
    "Français": "a language named in its own words",
    "Español": "a language named in its own words",
}
#: Only punctuation, digits, signs and units: the same in every language (dates and decimals are checked elsewhere).
NOT_WORDS = re.compile(r"^[\W\d_]*$|^[\W\d_]*(?:[A-Z]\d+|\d+[a-z]?|[a-z]\d+)[\W\d_]*$")
#: A key (an indicator's, an initiative's, a framework's, an audit action's): ``a-ld-4a``, ``assessment.close``.
KEY = re.compile(r"^\(?[a-z0-9]+(?:[-_.:][a-z0-9]+)+\)?$")


def _texts(document: str) -> set[str]:
    """Every text a reader meets: element text; titles, labels, alt texts and placeholders; the live charts' titles
    and descriptions (their JSON blocks) and the texts a page hands its script (``ws-texts``)."""
    found: list[str] = []
    for block in re.findall(r'<script type="application/json" id="chart-[^"]*">(.*?)</script>', document, re.S):
        found += [json.loads(f'"{t}"') for t in re.findall(r'"(?:title|description)": "((?:[^"\\]|\\.)*)"', block)]
    for block in re.findall(r'<script type="application/json" id="ws-texts">(.*?)</script>', document, re.S):
        found += [str(v) for v in json.loads(html.unescape(block)).values()]
    # Scripts and styles are not read; code (a file's columns, a setting's syntax) is the same in every language.
    body = re.sub(r"<(script|style|code)\b.*?</\1>", "", document, flags=re.S)
    found += re.split(r"<[^>]+>", body)
    found += re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', body)
    return {" ".join(html.unescape(t).split()) for t in found}


@dataclass(frozen=True)
class Sweep:
    demo: Demo
    client: Callable[[str], WebClient]
    #: Texts that are data: names, titles, emails, the texts of frameworks written in English alone.
    data: frozenset[str]
    #: The pages not in the audit's list: (name, who, path).
    more: tuple[tuple[str, str, str], ...]


def _all_texts(value: object) -> Iterator[str]:
    """Every text of a framework written in English alone, wherever it is (a text, or a mapping's English)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping) and "en" in value and all(isinstance(v, str) for v in value.values()):
        yield str(value["en"])
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _all_texts(v)
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _all_texts(v)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _all_texts(getattr(value, name))


def _untranslated_framework_texts() -> set[str]:
    """The texts of the built-in frameworks written in English alone: shown as written on every page."""
    found: set[str] = set()
    for fid in builtin_ids():
        fw = load_builtin(fid)
        if "de" in fw.offered_languages:
            continue
        found |= set(_all_texts(fw))
        found |= {f"{fw.text(fw.name)} ({fw.id} {fw.version})", f"{fw.text(fw.name)} ({fw.version})"}
        found |= {c.key for c in fw.competencies} | {f"({i.key})" for _, i in fw.indicators}
        for _, i in fw.indicators:
            found |= {f"{i.key}: {fw.text(i.text)[:80]}"}
            found |= {label for _, label in vote_options(fw, i.key)}
    # Published reference studies (benchmarks/references) quote their source as it is written.
    for reference in REFERENCES.glob("*.yaml"):
        found |= set(_all_texts(yaml.safe_load(reference.read_text(encoding="utf-8"))))
    return {" ".join(t.split()) for t in found if t}


def _data(db: Session, actor: Actor, org: int) -> set[str]:
    """What people typed or the demo invented in the demo organization."""
    found = {"facilitator@demo.example", "new-member@example.com", "Demo facilitator", "Region lead"}
    found |= {m.name or "" for m, _ in organizations.members(db, actor, org)} | {
        m.email for m, _ in organizations.members(db, actor, org)
    }
    for a in assessments.list_for_organization(db, actor, org):
        found |= {a.title, f"{a.framework_id} {a.framework_version}", f"({a.framework_id} {a.framework_version})"}
        found |= {g.name for g in assessments.groups(db, a.id)}
        for workshop in workshops.of_assessment(db, actor, a.id):
            found |= {t for item in workshops.items(db, workshop.id) for t in (item.title, item.reason)}
    # Organizations' attributes are typed by their owners (the peers' too, on the benchmark page).
    for o in db.scalars(select(Organization)):
        found |= {o.name, o.industry or "", o.region or "", o.size_band or ""}
    tree = units.overview(db, actor, org).tree
    found |= {tree.nodes[u].name for u in tree.nodes} | {tree.path(u) for u in tree.nodes}
    found |= {source.file_name for source in outcomes.sources(db, actor, org)}
    for metric in outcomes.operational_metrics(db, actor, org):
        found |= {metric, f"operational:{metric}"}
    found |= {w.label for w in outcomes.watched(db, actor, org) if w.label}
    # The demo survey's segments and rating columns (demo_outcomes.py).
    found |= {name for name, _ in demo_outcomes.SEGMENTS} | set(demo_outcomes.DRIVERS) | {"Partners"}
    return {" ".join(t.split()) for t in found if t}


@pytest.fixture(scope="module")
def sweep(seeded_demo: tuple[Path, DemoSite], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    data_dir = tmp_path_factory.mktemp("sweep")
    url, site = copy_demo(seeded_demo, data_dir / "demo.db")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = demo_settings(url, data_dir, secret="sweep-test", base_url="https://testserver")
    with transaction(sessions) as db:
        scene = demo_scene(db, site, settings)
        session, participant, campaign, unit = scene.session, scene.participant, scene.campaign, scene.unit
        actor = Actor(scene.user_id)
        org = site.organization_id
        # The respondent's and the quick evaluation's pages on a framework written in German too.
        translated = assessments.create(db, actor, org, "Leitungskreis", f"builtin:{TRANSLATED}", groups=["Team A"])
        db.flush()
        assessments.set_status(db, actor, translated.id, "open")
        group = assessments.groups(db, translated.id)[0]
        fresh, done = assessments.create_invitations(db, actor, translated.id, group.id, 2)
        respond.finish(db, done)
        closed_one = assessments.create(db, actor, org, "Geschlossen", f"builtin:{TRANSLATED}", groups=["Team B"])
        db.flush()
        closed_group = assessments.groups(db, closed_one.id)[0]
        (closed_link,) = assessments.create_invitations(db, actor, closed_one.id, closed_group.id, 1)
        assessments.set_status(db, actor, closed_one.id, "open")
        assessments.set_status(db, actor, closed_one.id, "closed")
        quick = assessments.create(db, actor, org, "Kurzer Blick", f"quick:{TRANSLATED}")
        db.flush()
        published = quick_links.publish(db, actor, quick.id).link
        assert published is not None
        from_quick = quick_links.to_full_assessment(db, actor, quick.id, title="Voller Blick").assessment.id
        withdrawn = assessments.create(db, actor, org, "Zurückgezogen", f"quick:{TRANSLATED}")
        db.flush()
        gone = quick_links.publish(db, actor, withdrawn.id).link
        assert gone is not None
        quick_links.withdraw(db, actor, withdrawn.id)
        job = LongJob(organization_id=org, assessment_id=site.closed_assessment_id, kind="answers.import")
        job.state, job.done, job.total, job.params = "running", 120, 400, {"filename": "big.csv"}
        db.add(job)
        failed = LongJob(organization_id=org, assessment_id=site.closed_assessment_id, kind="answers.import")
        failed.state, failed.params = "failed", {"filename": "big.csv"}
        db.add(failed)
        db.flush()
        jobs = (job.id, failed.id)
        known = _data(db, actor, org) | {
            "Leitungskreis",
            "Geschlossen",
            "Kurzer Blick",
            "Voller Blick",
            "Zurückgezogen",
            "Team A",
            "Team B",
            "big.csv",
        }
        wave = next(iter(campaigns.units_of(db, campaign)), None)
        assert wave is not None
        # A unit leader who is not a member: their home page lists the units they lead.
        leader = accounts.sign_up(db, "region-lead@example.com", "a long enough phrase here", "Region lead")
        db.flush()
        units.add_leader(db, actor, unit, "region-lead@example.com")
        leader_session, _ = accounts.start_session(db, leader, 1)
    app = create_app(settings, engine)
    portal = Portal()
    clients: list[WebClient] = []

    def client(who: str) -> WebClient:
        made = WebClient(app, portal.portal)
        if who == "facilitator":
            made.cookies.set(SESSION_COOKIE, session, domain="testserver.local")
        elif who == "leader":
            made.cookies.set(SESSION_COOKIE, leader_session, domain="testserver.local")
        elif who == "participant":
            made.cookies.set(PARTICIPANT_COOKIE, participant, domain="testserver.local")
        clients.append(made)
        return made

    demo = Demo(
        url="https://testserver",
        app=app,
        org=org,
        closed=site.closed_assessment_id,
        opened=translated.id,
        fresh_link=fresh,
        done_link=done,
        join_token=scene.join_token,
        session=session,
        participant=participant,
        files=data_dir,
        sessions=sessions,
        facilitator=scene.user_id,
        campaign=campaign,
        unit=unit,
        quick_link=published.token,
        from_quick=from_quick,
    )
    more = (
        ("job-running", "facilitator", f"/jobs/{jobs[0]}"),
        ("job-failed", "facilitator", f"/jobs/{jobs[1]}"),
        ("sso-error", "anonymous", f"/sso/orgs/{org}"),
        ("respond-closed", "anonymous", f"/r/{closed_link}"),
        ("respond-unknown", "anonymous", "/r/no-such-link-at-all"),
        ("quick-link-withdrawn", "anonymous", f"/q/{gone.token}"),
        ("quick-link-unknown", "anonymous", "/q/no-such-token"),
        ("workshop-join-code", "anonymous", f"/join?code={scene.join_code}"),
        ("forbidden", "facilitator", "/assessments/2147483000/plan"),
        ("leader-home", "leader", "/"),
        ("leader-unit", "leader", f"/units/{unit}"),
        # The executive report (HTML), of the leadership team and of the campaign (its units section).
        ("report", "facilitator", f"/assessments/{site.closed_assessment_id}/report.html"),
        ("campaign-report", "facilitator", f"/assessments/{campaign}/report.html"),
    )
    data = frozenset(known | _untranslated_framework_texts() | {scene.join_code})
    yield Sweep(demo, client, data, more)
    for made in clients:
        made.close()
    portal.close()
    app.state.jobs.close()
    engine.dispose()


# --- what the browser does on some pages, done here over HTTP ------------------------------------------------------


def _sign_in_wrongly(client: WebClient, path: str, lang: str) -> str:
    return client.submit(
        f"{path}?lang={lang}", "/signin", {"email": "nobody@example.com", "password": "not the password"}
    ).text


def _send_a_bad_answer(client: WebClient, path: str, lang: str) -> str:
    page = client.get(f"{path}?lang={lang}").text
    name = re.search(r'name="(answer:[^"]+)"', page)
    assert name is not None, path
    return client.submit(f"{path}?lang={lang}", f"{path}?lang={lang}", {name.group(1): "no-such-option"}).text


def _quick_answers(page: str) -> dict[str, str]:
    answers: dict[str, str] = {}
    for name, value in re.findall(r'<input type="radio" id="[^"]*" name="(answer:[^"]+)" value="([^"]+)"', page):
        answers.setdefault(name, value)
    return answers


def _send_the_quick_form(client: WebClient, path: str, lang: str) -> str:
    page = client.get(f"{path}?lang={lang}").text
    answers = _quick_answers(page)
    assert answers, path
    sent = client.submit(f"{path}?lang={lang}", f"{path}?lang={lang}", answers)
    if sent.status_code == 303:
        return client.get(sent.headers["location"]).text
    return sent.text


def _send_the_quick_form_empty(client: WebClient, path: str, lang: str) -> str:
    return client.submit(f"{path}?lang={lang}", f"{path}?lang={lang}", {}).text


#: The audit's pages that act first, acted here over HTTP (a new one fails ``test_every_audited_page_is_swept``).
ACTS: dict[str, Callable[[WebClient, str, str], str]] = {
    "signin-error": _sign_in_wrongly,
    "respond-page-error": _send_a_bad_answer,
    "quick-result": _send_the_quick_form,
    "quick-error": _send_the_quick_form_empty,
}
#: The audit's paths that name the English-only demo framework, swept on the translated one instead.
PATHS = {
    "respond-last-page": lambda d: f"/r/{d.fresh_link}/p/4",
    "quick-form": lambda d: f"/quick/{TRANSLATED}",
    "quick-result": lambda d: f"/quick/{TRANSLATED}",
    "quick-error": lambda d: f"/quick/{TRANSLATED}",
    # Facilitator's framework pages: the translated framework, compared with itself.
    "framework": lambda d: f"/orgs/{d.org}/frameworks/builtin/{TRANSLATED}",
    "framework-compare": lambda d: f"/orgs/{d.org}/frameworks/compare?a=builtin:{TRANSLATED}&b=builtin:{TRANSLATED}",
}


def _page(sweep: Sweep, target: Page, lang: str) -> str:
    client = sweep.client(target.who)
    client.cookies.set("cxm_lang", lang, domain="testserver.local")
    path = PATHS.get(target.name, target.path)(sweep.demo)
    if target.name in ACTS:
        return ACTS[target.name](client, path, lang)
    response = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}", headers={"Accept-Language": lang})
    assert response.status_code < 500, (target.name, response.status_code)
    if 300 <= response.status_code < 400:
        response = client.get(response.headers["location"], headers={"Accept-Language": lang})
    return response.text


def _left(sweep: Sweep, english: str, german: str) -> list[str]:
    """English texts of the product still on the German page: texts both pages share, less data, numbers and words
    alike in both languages; a shared text with data in it counts when what is left has two words."""
    ordered = sorted((d for d in sweep.data if len(d) > 2), key=len, reverse=True)
    left = []
    for text in _texts(english) & _texts(german):
        # A page's title names the thing the page is about, then the product.
        text = text.removesuffix(" · cx-maturity")
        if not text or NOT_WORDS.match(text) or KEY.match(text) or text in ALIKE or text in sweep.data:
            continue
        if "SYNTHETIC" in text or "SYNTHET" in text or "://" in text or text.startswith("/") or "@" in text:
            continue
        # Data cut short to fit (a long description, a statement after its key): the start of a text of the data.
        cut = re.sub(r"^[a-z0-9-]+:? ", "", text).rstrip("… ")
        if len(cut) >= 20 and any(d.startswith(cut) for d in sweep.data):
            continue
        rest = text
        for d in ordered:
            rest = rest.replace(d, " ")
        words = re.findall(r"[^\W\d_]{2,}", rest)
        if not words or " ".join(words) in ALIKE or all(w in ALIKE for w in words):
            continue
        if rest != text and len(words) < 2:
            continue
        left.append(text)
    return sorted(left)


def _targets(sweep: Sweep) -> list[Page]:
    extra = [Page(name, "(more)", (lambda p: lambda d: p)(path), who=who) for name, who, path in sweep.more]
    return [p for p in PAGES if not p.download] + extra


def test_every_audited_page_is_swept() -> None:
    """A page the audit reaches by acting in the browser is acted on here too, else the sweep misses it."""
    assert {p.name for p in PAGES if p.act is not None} == set(ACTS)


def test_no_english_text_is_left_on_any_german_page(sweep: Sweep) -> None:
    left: dict[str, list[str]] = {}
    for target in _targets(sweep):
        english, german = _page(sweep, target, "en"), _page(sweep, target, "de")
        assert '<html lang="de"' in german, target.name
        if target.name == "audit-log":
            # The log's entries are what was recorded (actions, titles, details), not sentences of the page.
            english, german = (re.sub(r"<tbody>.*?</tbody>", "", p, flags=re.S) for p in (english, german))
        # Something to compare: the pages differ.
        assert _texts(english) != _texts(german), target.name
        if found := _left(sweep, english, german):
            left[target.name] = found
    assert left == {}, "\n".join(f"{name}: {text!r}" for name, found in left.items() for text in found)


def test_the_sweep_would_see_an_english_word(sweep: Sweep) -> None:
    """The sweep is not blind: a German page with one English sentence put into it is caught."""
    home = next(p for p in PAGES if p.name == "home")
    english, german = _page(sweep, home, "en"), _page(sweep, home, "de")
    planted = german.replace("</main>", "<p>Nothing to plan</p></main>", 1)
    assert _left(sweep, english.replace("</main>", "<p>Nothing to plan</p></main>", 1), planted) == ["Nothing to plan"]


# --- refusals made before the language is known ---------------------------------------------------------------------


def test_a_workshop_field_error_reads_in_the_pages_language_and_in_english_for_the_api(sweep: Sweep) -> None:
    """The live script shows the JSON ``detail`` of a refused action to the facilitator: in the page's language. The
    service's own message (the JSON API's, the log's) stays English."""
    path = f"/assessments/{sweep.demo.closed}/workshop"
    details = {}
    for lang in ("en", "de"):
        client = sweep.client("facilitator")
        sent = client.submit(
            f"{path}?lang={lang}",
            f"{path}/actions",
            {"action": "show", "item_id": "abc"},
            headers={"Accept": "application/json"},
        )
        assert sent.status_code == 422, sent.text
        details[lang] = sent.json()["detail"]
    assert details["en"] == "item_id must be a whole number, not 'abc'"
    assert details["de"] == "item_id muss eine ganze Zahl sein, nicht „abc“"
    with transaction(sweep.demo.sessions) as db, pytest.raises(Invalid) as refused:
        facilitate(db, Actor(sweep.demo.facilitator), 1, "no-such-action", {})
    assert refused.value.message.startswith("unknown action 'no-such-action'; one of: show, hide")


def _version_statuses(page: str) -> list[str]:
    """The status column of the plan page's list of versions."""
    table = re.search(r'<table id="versions-table">.*?</table>', page, re.S)
    assert table is not None
    return re.findall(r"<td>([^<]*)</td>\s*<td>[^<]*</td>\s*</tr>", table.group(0))


def test_each_plan_version_shows_its_status_in_the_pages_language(sweep: Sweep) -> None:
    plan = next(p for p in PAGES if p.name == "plan")
    english, german = (_version_statuses(_page(sweep, plan, lang)) for lang in ("en", "de"))
    assert english, "the demo's plan has versions"
    assert all(
        s in ("Optimal", "Feasible", "Infeasible", "Nothing to plan") or s.startswith("Within ") for s in english
    )
    # Never the stored key ("feasible"), always the locale's word.
    german_words = ("Optimal", "Zulässig", "Innerhalb von", "Nicht lösbar", "Nichts zu planen")
    assert all(s.startswith(german_words) for s in german), german


def test_declining_an_invitation_to_join_says_so_in_the_pages_language(sweep: Sweep) -> None:
    shown = {}
    for lang in ("en", "de"):
        with transaction(sweep.demo.sessions) as db:
            token = member_invitations.invite(
                db,
                Actor(sweep.demo.facilitator),
                sweep.demo.app.state.settings,
                sweep.demo.org,
                f"declines-{lang}@example.com",
                "viewer",
            ).token
        client = sweep.client("facilitator")
        page = f"/join/{token}?lang={lang}"
        declined = client.submit(page, f"/join/{token}/decline")
        assert declined.status_code == 200, declined.text
        shown[lang] = declined.text
    assert "Invitation declined" in shown["en"]
    assert '<html lang="de"' in shown["de"]
    assert _left(sweep, shown["en"], shown["de"]) == []
