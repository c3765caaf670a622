"""Who may do what, generated from the role table in docs/security.md, on SQLite and PostgreSQL.

Every route of the app must be in the table (a new route fails this test until it is documented), and each member of
the cast (owner, facilitator and viewer of an organization, a member of another organization, a respondent holding an
invitation of the organization, an anonymous visitor, and two unit leaders who are not members: the leader of the unit
the routes name and the leader of its sibling) is allowed exactly what the table says:

- a member the table allows is never turned away (401, 403, 404, or sent to sign in);
- a member the table does not allow is always turned away, and for a read also never sees the organization's data.

A change (POST, PUT, PATCH, DELETE) is sent with a harmless form that fills the usual fields, so the permission check,
not a missing field, decides; an API change whose body does not validate answers 422 to everyone, which then says
nothing, so for those the test only requires that no one is let through who should not be. The routes run against an
organization of their own, so the changes they make never reach the data other tests rely on.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.services import accounts, assessments, member_invitations, organizations, plans, quick_links, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import LongJob, Membership, UnitLeader
from tests.support.routes import app_routes
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| (\w[\w ]*?) \|")
MEMBERS = ("owner", "facilitator", "viewer", "outsider", "respondent", "anonymous", "leader", "sibling")
#: Members with an account of their own.
ACCOUNTS = ("owner", "facilitator", "viewer", "outsider", "leader", "sibling")
ALLOWED = {
    "anyone": set(MEMBERS),
    "signed in": set(ACCOUNTS),
    "invitation": {"respondent"},
    # Each signed-in member holds a fresh link of an invitation to join an organization of its own (see ``world``).
    "join link": set(ACCOUNTS),
    # A unit's leader sees it and every unit below it; the leader of its sibling does not (docs/units.md).
    "unit leader": {"owner", "facilitator", "viewer", "leader"},
    "viewer": {"owner", "facilitator", "viewer"},
    "facilitator": {"owner", "facilitator"},
    "owner": {"owner"},
}
#: A form that fills the fields the app's forms ask for, with values that change little.
FORM = {
    "name": "Matrix",
    "email": "nobody@example.com",
    "role": "viewer",
    "status": "open",
    "title": "Matrix",
    "framework": "builtin:four-competencies",
    "groups": "Extra",
    "count": "1",
    "delivery": "csv",
    "text": "",
    "action": "next",
    "enabled": "1",
    "contribute": "1",
}
#: Text only the matrix organization's pages hold.
SECRET = "Matrix organization"


def documented() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if found := ROW.match(line):
            method, path, access = found.groups()
            assert access in ALLOWED, f"docs/security.md: unknown access '{access}' for {method} {path}"
            assert (method, path) not in table, f"docs/security.md lists {method} {path} twice"
            table[method, path] = access
    return table


@dataclass
class World:
    competency: str
    organization: int
    assessment: int
    other: int
    #: The unit the routes name: led by "leader", with a unit below it (so that deleting it is refused, and the
    #: routes after a delete still find it); "sibling" leads the unit beside it.
    unit: int
    invitations: list[str]
    api_tokens: dict[str, str]
    clients: dict[str, WebClient]
    csrf: dict[str, str]
    #: Per member, tokens of pending invitations to join a separate organization (each use takes a fresh one).
    join_tokens: dict[str, Iterator[str]]
    #: A published quick link's token: anyone holds it (the link is public).
    quick_link: str = ""
    #: A finished report job of the organization (its file can be downloaded).
    job: int = 0
    #: A full assessment made from the quick one (its summary page reads the conversion back).
    from_quick: int = 0


@pytest.fixture(scope="module")
def world(site: Site, cast: Cast) -> World:
    fw = load_builtin("four-competencies")
    owner = Actor(cast.owner)
    with transaction(site.sessions) as db:
        org = organizations.create(db, owner, SECRET, "Retail", "250-999", "Europe")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        ids = []
        for title in ("Matrix assessment", "Matrix earlier assessment"):
            created = assessments.create(db, owner, org.id, title, "builtin:four-competencies", groups=["All"])
            db.flush()
            group = {g.name: g.id for g in assessments.groups(db, created.id)}
            assessments.store_responses(db, created, demo_responses(fw, seed=2, groups=(("All", 0.0, 5),)), group)
            assessments.set_status(db, owner, created.id, "open")
            ids.append(created.id)
        plans.make(db, owner, ids[0])
        invitations = assessments.create_invitations(db, owner, ids[0], None, 300)
        quick = assessments.create(db, owner, org.id, "Matrix quick look", "quick:four-competencies")
        db.flush()
        link = quick_links.publish(db, owner, quick.id).link
        assert link is not None
        from_quick = quick_links.to_full_assessment(db, owner, quick.id).assessment.id
        leaders = {
            member: accounts.sign_up(db, f"{member}-{secrets.token_hex(4)}@example.com", "a long enough phrase here").id
            for member in ("leader", "sibling")
        }
        db.flush()
        top = units.create(db, owner, org.id, "Matrix company")
        led = units.create(db, owner, org.id, "Matrix region", top.id)
        beside = units.create(db, owner, org.id, "Matrix other region", top.id)
        units.create(db, owner, org.id, "Matrix store", led.id)
        db.add(UnitLeader(unit_id=led.id, user_id=leaders["leader"]))
        db.add(UnitLeader(unit_id=beside.id, user_id=leaders["sibling"]))
        users = {
            "owner": cast.owner,
            "facilitator": cast.facilitator,
            "viewer": cast.viewer,
            "outsider": cast.outsider,
            **leaders,
        }
        api_tokens = {member: accounts.create_api_token(db, user, "role matrix") for member, user in users.items()}
        job = LongJob(organization_id=org.id, assessment_id=ids[0], kind="report", state="done", done=2, total=2)
        job.output = b"<!doctype html><title>SYNTHETIC report</title>"
        job.result = {"filename": "report-matrix.html", "media_type": "text/html; charset=utf-8", "bytes": 46}
        db.add(job)
        db.flush()
        job_id = job.id
    clients = {member: site.client(users.get(member)) for member in MEMBERS}
    csrf = {member: clients[member].csrf("/" if member in users else "/signin") for member in MEMBERS}
    join_tokens = {member: iter(tokens) for member, tokens in _join_tokens(site).items()}
    return World(
        fw.competencies[0].key,
        org.id,
        ids[0],
        ids[1],
        led.id,
        invitations,
        api_tokens,
        clients,
        csrf,
        join_tokens,
        link.token,
        job_id,
        from_quick,
    )


def _join_tokens(site: Site, each: int = 6) -> dict[str, list[str]]:
    """Links to join an organization no member of the cast belongs to, so accepting one grants nothing elsewhere."""
    with transaction(site.sessions) as db:
        host = accounts.sign_up(db, f"join-host-{secrets.token_hex(4)}@example.com", "a long enough phrase here")
        db.flush()
        org = organizations.create(db, Actor(host.id), "Join host")
        db.flush()
        return {
            member: [
                member_invitations.invite(
                    db, Actor(host.id), site.settings, org.id, f"{member}-{n}@example.com", "viewer"
                ).token
                for n in range(each)
            ]
            for member in ALLOWED["join link"]
        }


def _url(path: str, world: World, member: str, used: Iterator[str]) -> str:
    values = {
        "organization_id": str(world.organization),
        "assessment_id": str(world.from_quick if path.endswith("/from-quick") else world.assessment),
        "other_id": str(world.other),
        "number": "1",
        # The most sensitive export: viewers may download it (docs/security.md, "Viewers and the anonymized answers
        # export"), so the table's "viewer" for the export routes is checked with this file.
        "filename": "answers.csv",
        "n": "1",
        "key": "nothing-by-this-key",
        "dataset_id": "999999",
        "source_id": "999999",
        "fmt": "json",
        "invitation_id": "999999",
        "unit_id": str(world.unit),
        "job_id": str(world.job),
        "user_id": "999999",
        "competency_key": world.competency,
        # The framework browser's page of a built-in framework.
        "kind": "builtin",
        "value": "four-competencies",
        # The public quick evaluation of a built-in framework.
        "framework_id": "four-competencies",
    }
    # Only the respondent holds a real invitation; everyone else tries a token that does not exist.
    token = next(used) if member == "respondent" else secrets.token_urlsafe(16)
    values["token"] = values["invitation_token"] = token
    if path.startswith("/q/"):
        values["token"] = world.quick_link  # a published quick link is public: anyone holds it
    values["link_token"] = world.quick_link
    # Signed-in members hold a real link to join; the respondent and the anonymous visitor try one that does not exist.
    holds = "join_token" in path and member in ALLOWED["join link"]
    values["join_token"] = next(world.join_tokens[member]) if holds else secrets.token_urlsafe(16)

    def fill(match: re.Match[str]) -> str:
        return values[match.group(1).split(":")[0]]

    url = re.sub(r"\{([^}]+)\}", fill, path)
    return url + f"?organization_id={world.organization}" if path == "/api/v1/frameworks" else url


def _send(world: World, member: str, method: str, path: str, url: str) -> httpx.Response:
    client = world.clients[member]
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world.api_tokens[member]}"} if member in world.api_tokens else {}
        body: dict[str, object] | None = None if method == "GET" else {}
        return client.request(method, url, headers=headers, json=body)
    csrf = world.csrf[member]
    if method == "POST" and path.startswith("/r/") and member == "respondent":
        csrf = client.csrf(url)  # a respondent's form token comes from their own page
    data = None if method == "GET" else {**FORM, "csrf_token": csrf}
    return client.request(method, url, data=data)


#: What the app answers when the caller may not see the organization, assessment or invitation the path names
#: (exactly what it answers when none exists). Other 404s (no such dataset, say) come after the permission check.
HIDDEN = (
    "no such organization",
    "no such assessment",
    "no such unit",
    "no such job",
    "this link is not valid",
    "could not find an assessment",
)


def _turned_away(response: httpx.Response) -> bool:
    if response.status_code in (401, 403, 429):
        return True
    if response.status_code == 404:
        text = response.text.lower()
        return any(phrase in text for phrase in HIDDEN) or text in ('{"detail":"not found"}', "not found")
    # Sent to sign in. (Signing out, a POST, also ends on the sign-in page: that is not being turned away.)
    location = response.headers.get("location", "") if response.status_code == 303 else ""
    return location.startswith("/signin?next=") or (location == "/signin" and response.request.method == "GET")


def test_every_route_is_in_the_role_table(site: Site) -> None:
    table, routes = set(documented()), app_routes(site.app)
    assert routes - table == set(), "routes missing from the role table in docs/security.md"
    assert table - routes == set(), "docs/security.md lists routes the app does not have"


def test_each_member_is_allowed_exactly_what_the_table_says(site: Site, world: World) -> None:
    table = documented()
    tokens = iter(world.invitations)
    wrong: list[str] = []
    # Reads first, then changes: a change (closing the assessment, say) must not decide a later read.
    # Signing out goes last: it ends the member's session for every request after it.
    ordered = sorted(
        table.items(), key=lambda item: (item[0][1] == "/signout", item[0][0] != "GET", item[0][1], item[0][0])
    )
    for (method, path), access in ordered:
        for member in MEMBERS:
            url = _url(path, world, member, tokens)
            response = _send(world, member, method, path, url)
            status = response.status_code
            if status >= 500:
                wrong.append(f"{member} {method} {url}: server error {status}")
            elif member in ALLOWED[access]:
                if _turned_away(response):
                    wrong.append(f"{member} {method} {path} ({access}): turned away with {status}")
            elif not (_turned_away(response) or (method != "GET" and status == 422)):
                wrong.append(f"{member} {method} {path} ({access}): let through with {status}")
            elif SECRET in response.text:
                wrong.append(f"{member} {method} {path}: turned away, but the answer names the organization")
    assert not wrong, "\n".join(wrong)


#: The member who may send each kind of change, so that only the form's token can decide (docs/security.md).
ACTOR_FOR = {
    "anyone": "anonymous",
    "signed in": "owner",
    "invitation": "respondent",
    "join link": "owner",
    "unit leader": "owner",
    "viewer": "owner",
    "facilitator": "owner",
    "owner": "owner",
}


def test_every_form_needs_the_token_of_the_page_that_showed_it(site: Site, cast: Cast, world: World) -> None:
    """Cross-site request forgery: a change sent with a browser's cookies but a wrong form token is refused (403)
    by every page route, even for a member allowed to make it; the API ignores browser cookies altogether (401). The
    API's routes for respondents, quick links and workshop participants take their token in the path or a header,
    which another site cannot know."""
    tokens = iter(world.invitations)
    # Clients of their own: the test above ends the cast's sessions with its last route (signing out).
    clients = {"owner": site.client(cast.owner), "respondent": site.client(), "anonymous": site.client()}
    wrong: list[str] = []
    for (method, path), access in sorted(documented().items()):
        if method == "GET":
            continue
        member = ACTOR_FOR[access]
        client = clients[member]
        # The links to join were used up by the test above; a forged form is refused before its link is looked up.
        url = _url(path, world, "anonymous" if "join_token" in path else member, tokens)
        if path.startswith("/api/"):
            if access in ("anyone", "invitation"):
                continue
            response = client.request(method, url, json={})  # the session cookie only, no Bearer token
            if response.status_code != 401:
                wrong.append(f"{method} {path}: a request with cookies only answered {response.status_code}")
            continue
        forged = {**FORM, "metric": "nps", "password": "a long enough phrase here", "csrf_token": "forged-token"}
        response = client.request(method, url, data=forged)
        if response.status_code != 403:
            wrong.append(f"{method} {path} as {member}: a forged form token answered {response.status_code}")
    assert not wrong, "\n".join(wrong)
