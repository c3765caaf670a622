"""The facilitator's pages on customer outcomes, the scorecard, units and campaigns, workshops, the organization and
single sign-on, written in German (``?lang=de``): no English sentence of the product left (compared with the same
page in English), on SQLite and PostgreSQL. SYNTHETIC demo data (demo_outcomes, demo_units, demo_workshop)."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass

import pytest

from cxmaturity import demo_outcomes, demo_units
from cxmaturity.demo_workshop import run_synthetic_workshop
from cxmaturity.services import assessments, campaigns, organizations, outcomes, units, workshops
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.workshops import vote_options
from tests.support.site import Cast, Site
from tests.web.client import WebClient

#: A small survey export to show the column-mapping page with (SYNTHETIC).
SURVEY = "ResponseId,Date,Segment,Recommend,Satisfied\n" + "".join(
    f"R{i},2026-0{1 + i % 3}-10,{'North' if i % 2 else 'South'},{i % 11},{1 + i % 5}\n" for i in range(12)
)


@dataclass
class Pages:
    """The pages to compare, by path, and the texts they show that are data (names people typed, framework texts,
    an agenda written when the workshop started): these read alike in every language."""

    paths: list[str]
    data: set[str]
    organization: int
    owner: int
    #: The join code of the running workshop, for a phone to join it.
    code: str


def _texts(document: str) -> set[str]:
    """Every text a reader meets: element text, and names and descriptions (titles, aria labels, placeholders)."""
    document = re.sub(r"<(style|script)\b.*?</\1>", "", document, flags=re.S)
    found = [
        *re.split(r"<[^>]+>", document),
        *re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', document),
    ]
    return {" ".join(html.unescape(t).split()) for t in found}


def _sentences(texts: set[str]) -> set[str]:
    """Texts of at least two words: single words (names, "Workshop", "Segment") read alike in both languages."""
    return {t for t in texts if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2}


def _framework_texts(assessment_id: int, site: Site, actor: Actor) -> set[str]:
    with transaction(site.sessions) as db:
        fw = assessments.framework_of(assessments.get(db, actor, assessment_id))
        found = {fw.text(fw.name)}
        found |= {fw.text(s.name) for s in fw.stages}
        for c in fw.competencies:
            found.add(fw.text(c.name))
            for i in c.indicators:
                found.add(fw.text(i.text))
                found.add(f"{i.key}: {fw.text(i.text)[:80]}")
        for _, i in fw.indicators:
            found |= {label for _, label in vote_options(fw, i.key)}
    return {" ".join(t.split()) for t in found}


def _typed(site: Site, owner: Actor, org: int, cast: Cast, name: str) -> set[str]:
    """What people typed or the demo invented: names, titles, files, metrics, an agenda written at its start."""
    found = {name, "cx-maturity", "key,name,parent", "group = viewer", "Contoso Entra ID", "not_configured"}
    found |= set(cast.emails.values())
    with transaction(site.sessions) as db:
        found |= {member.name for member, _ in organizations.members(db, owner, org) if member.name}
        for a in assessments.list_for_organization(db, owner, org):
            found |= {a.title, f"{a.framework_id} {a.framework_version}"}
            for workshop in workshops.of_assessment(db, owner, a.id):
                found |= {t for item in workshops.items(db, workshop.id) for t in (item.title, item.reason)}
        tree = units.overview(db, owner, org).tree
        found |= {tree.nodes[u].name for u in tree.nodes} | {tree.path(u) for u in tree.nodes}
        found |= {source.file_name for source in outcomes.sources(db, owner, org)}
        for metric in outcomes.operational_metrics(db, owner, org):
            found |= {metric, f"operational:{metric}"}
        found |= {w.label for w in outcomes.watched(db, owner, org) if w.label}
        found |= set(outcomes.METRIC_KEYS)
    return {" ".join(t.split()) for t in found if t}


@pytest.fixture(scope="module")
def pages(site: Site, cast: Cast) -> Pages:
    owner = Actor(cast.owner)
    tag = secrets.token_hex(3)
    with transaction(site.sessions) as db:
        org = organizations.create(db, owner, f"Beispiel {tag}").id
    demo_outcomes.seed(site.sessions, owner, org)
    with transaction(site.sessions) as db:
        wave = demo_units.seed(db, owner, org)
        unit = next(iter(campaigns.units_of(db, wave)))
    with transaction(site.sessions) as db:
        recorded = assessments.create(db, owner, org, "Leadership team", "builtin:four-competencies")
        db.flush()
        fw = assessments.framework_of(recorded)
        from cxmaturity.demo import LEADERSHIP_GROUPS, demo_responses

        assessments.store_responses(
            db, recorded, demo_responses(fw, seed=3, groups=LEADERSHIP_GROUPS), {}, "link", held=False
        )
        assessments.set_status(db, owner, recorded.id, "open")
        run_synthetic_workshop(db, owner, recorded)
        live = assessments.create(db, owner, org, "Store managers", "builtin:four-competencies")
        db.flush()
        assessments.store_responses(
            db, live, demo_responses(fw, seed=4, groups=LEADERSHIP_GROUPS), {}, "link", held=False
        )
        assessments.set_status(db, owner, live.id, "open")
        running = workshops.start(db, owner, live.id)
        db.flush()
        items = [i for i in workshops.items(db, running.id) if i.indicator]
        workshops.show_item(db, owner, running.id, items[0].id)
        workshops.open_vote(db, owner, running.id, items[0].id)
        code = running.join_code
    data = _framework_texts(recorded.id, site, owner) | _typed(site, owner, org, cast, f"Beispiel {tag}")
    data.add(code or "")
    return Pages(
        [
            f"/orgs/{org}",
            f"/orgs/{org}/outcomes",
            f"/orgs/{org}/outcomes/asset",
            f"/orgs/{org}/outcomes/drivers",
            f"/orgs/{org}/scorecard",
            f"/orgs/{org}/units",
            f"/units/{unit}",
            f"/assessments/{wave}/units",
            f"/assessments/{recorded.id}/workshop/record",
            f"/assessments/{live.id}/workshop",
            f"/assessments/{live.id}/workshop/present",
            f"/join?code={code}",
            f"/orgs/{org}/sso",
            # A sign-in through a provider the organization has not set up: refused, on the SSO error page.
            f"/sso/orgs/{org}?anonymous",
        ],
        data,
        org,
        cast.owner,
        code or "",
    )


def _page(client: WebClient, path: str, language: str) -> str:
    response = client.get(path + ("&" if "?" in path else "?") + f"lang={language}")
    assert response.status_code in (200, 404), (path, response.status_code)
    return response.text


def _left(english: str, german: str, data: set[str]) -> list[str]:
    """English sentences of the product still in the German page: the texts both pages share, once the data in
    them is taken out (longest first), that still have two words."""
    ordered = sorted((d for d in data if d), key=len, reverse=True)
    left = []
    for text in _sentences(_texts(english)) & _sentences(_texts(german)):
        rest = text
        for d in ordered:
            rest = rest.replace(d, " ")
        # The demo's invented content is labelled SYNTHETIC; addresses are addresses in every language.
        if _sentences({rest}) and "SYNTHETIC" not in text and "://" not in text:
            left.append(text)
    return sorted(left)


def test_no_english_sentence_is_left_on_the_german_facilitator_pages(site: Site, pages: Pages) -> None:
    english_client, german_client = site.client(pages.owner), site.client(pages.owner)
    compared = 0
    left: dict[str, list[str]] = {}
    for path in pages.paths:
        if path.endswith("?anonymous"):
            english, german = _page(site.client(), path, "en"), _page(site.client(), path, "de")
        else:
            english, german = _page(english_client, path, "en"), _page(german_client, path, "de")
        assert '<html lang="de">' in german, path
        if found := _left(english, german, pages.data):
            left[path] = found
        # The comparison has something to compare: the two pages' sentences differ.
        assert _sentences(_texts(english)) != _sentences(_texts(german)), path
        compared += len(_sentences(_texts(german)))
    assert left == {}, "\n".join(f"{path}: {text!r}" for path, found in left.items() for text in found)
    assert compared > 300


def test_the_column_mapping_and_the_workshop_phone_are_german_too(site: Site, pages: Pages) -> None:
    for language in ("en", "de"):
        client = site.client(pages.owner)
        page = f"/orgs/{pages.organization}/outcomes?lang={language}"
        shown = client.submit(
            page,
            f"/orgs/{pages.organization}/outcomes/upload",
            {"kind": "survey"},
            files={"file": ("export.csv", SURVEY.encode(), "text/csv")},
        )
        assert shown.status_code == 200, shown.text
        if language == "en":
            english = shown.text
    german = shown.text
    assert "Spaltenzuordnung" in german
    assert _left(english, german, pages.data) == []
    rooms = {}
    for language in ("en", "de"):
        phone = site.client()
        joined = phone.submit(f"/join?code={pages.code}&lang={language}", "/join", {"code": pages.code})
        assert joined.status_code == 303, joined.text
        rooms[language] = _page(phone, "/workshop/room", language)
    assert "Warten auf die Aufdeckung" in rooms["de"] or "Stimmen" in rooms["de"]
    assert _left(rooms["en"], rooms["de"], pages.data) == []


def test_the_workshop_script_gets_its_texts_in_german(site: Site, pages: Pages) -> None:
    control = next(p for p in pages.paths if p.endswith("/workshop"))
    german = _page(site.client(pages.owner), control, "de")
    block = re.search(r'<script type="application/json" id="ws-texts">(.*?)</script>', german, re.S)
    assert block is not None
    assert "Stimmen in Runde %(round)s" in block.group(1)
    assert "Votes in round" not in block.group(1)


def test_numbers_and_dates_follow_the_page_language(site: Site, pages: Pages) -> None:
    scorecard = f"/orgs/{pages.organization}/scorecard"
    english = _page(site.client(pages.owner), scorecard, "en")
    german = _page(site.client(pages.owner), scorecard, "de")
    # The scorecard's tables: one decimal (NPS) and two (maturity) with the German decimal comma.
    assert re.search(r"<td>\d+\.\d</td>|>\d+\.\d<br>", english)
    assert re.search(r"<td>-?\d+,\d</td>|>-?\d+,\d<br>", german)
    assert not re.search(r">-?\d+\.\d<br>", german)
    # The customer asset's heading writes its dates the German way (03.12.2026).
    assert re.search(r"Kundenbestand, \d\d\.\d\d\.\d{4} bis \d\d\.\d\d\.\d{4}", german)
