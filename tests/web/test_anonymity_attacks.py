"""Attacks on respondents' anonymity by a facilitator who narrows a group down, through the real app on SQLite and
PostgreSQL (docs/security.md, "Respondents' anonymity"; docs/units.md, "What is shown")."""

from __future__ import annotations

import io
import secrets
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from cxmaturity.services import accounts, assessments, campaigns, organizations, units, workshops
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, RespondentGroup, Unit
from tests.units.support import company
from tests.web.conftest import PASSWORD, Cast, Site
from tests.web.test_api import answers_csv
from tests.web.test_exports import Api
from tests.web.test_no_padding import Board, _answer_all, _emailed, _held_csv, _import_into, _staff_and_ceo
from tests.web.test_plans_api import Api as ApiCalls


def _unpacked(content: bytes) -> str:
    """The text of a file, or of every member of a zip (XLSX, PPTX and the zip export are zips)."""
    if not content.startswith(b"PK"):
        return content.decode("utf-8", errors="replace")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist())


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Attacks {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        return org.id


def test_an_answers_import_cannot_give_a_campaign_respondent_groups(site: Site, cast: Cast) -> None:
    """A campaign has no groups, so that a group and a unit never cut the same respondents two ways (a group minus a
    unit isolates whoever is in the group but not the unit). The import of a file with a group column created the
    file's groups in the campaign all the same, and then e-mailed invitations could carry a group and a unit."""
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, Actor(cast.facilitator), org)
        created = assessments.create(db, Actor(cast.facilitator), org, "Campaign", "builtin:xm-six-competencies")
        db.flush()
        campaigns.set_units(db, Actor(cast.facilitator), created.id, {c.n1: None, c.s1: None})
    facilitator = Api(site, cast.facilitator)
    response = facilitator.post(f"/assessments/{created.id}/answers/import", {"text": answers_csv()})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "group"
    assert "campaign" in response.json()["detail"]
    # The page's form says so beside the form, in the page's language.
    client = site.client(cast.facilitator)
    page = f"/assessments/{created.id}"
    upload = {"file": ("answers.csv", answers_csv().encode(), "text/csv")}
    refused = client.submit(page, f"{page}/import", files=upload)
    assert refused.status_code == 422
    assert "campaign across units has no respondent groups" in refused.text
    with transaction(site.sessions) as db:
        groups = db.scalar(select(func.count()).where(RespondentGroup.assessment_id == created.id))
    assert groups == 0
    # A file without groups is still imported into the campaign.
    plain = "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:]) for line in answers_csv().splitlines())
    assert facilitator.post(f"/assessments/{created.id}/answers/import", {"text": plain}).status_code == 201


def test_ids_in_a_body_or_query_never_reach_another_organization(site: Site, cast: Cast) -> None:
    """A facilitator of one organization names another's framework, group, unit and assessment in request bodies and
    queries (the path's id being his own): each is refused as if it did not exist, and nothing of it is shown."""
    mine, theirs = _org(site, cast), _org(site, cast)
    other = Actor(cast.owner)
    text = (Path(__file__).resolve().parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")
    with transaction(site.sessions) as db:
        framework = assessments.upload_framework(db, other, theirs, "theirs.yaml", text)
        their_unit = company(db, other, theirs).n1
        their_assessment = assessments.create(db, other, theirs, "Theirs", "builtin:four-competencies", groups=["X"])
        db.flush()
        their_group = assessments.groups(db, their_assessment.id)[0].id
        my_units = company(db, Actor(cast.facilitator), mine)
        my_assessment = assessments.create(db, Actor(cast.facilitator), mine, "Mine", "builtin:four-competencies")
    with transaction(site.sessions) as db:  # only the owner of "theirs" is a member of it from here on
        db.query(Membership).filter(Membership.organization_id == theirs, Membership.user_id != cast.owner).delete()
    api = Api(site, cast.facilitator)
    body = {"title": "Stolen", "framework": f"uploaded:{framework.id}"}
    assert api.post(f"/organizations/{mine}/assessments", body).status_code == 422
    listed = api.get(f"/frameworks?organization_id={theirs}")
    assert listed.status_code == 404, listed.text
    assert api.post(f"/assessments/{my_assessment.id}/invitations", {"group_id": their_group}).status_code == 422
    assert api.post(f"/assessments/{my_assessment.id}/invitations", {"unit_id": their_unit}).status_code == 422
    moved = api.client.request(
        "PATCH", f"/api/v1/units/{my_units.n1}", headers=api.headers, json={"parent_id": their_unit}
    )
    assert moved.status_code in (404, 422), moved.text
    added = api.post(f"/organizations/{mine}/units", {"name": "Under theirs", "parent_id": their_unit})
    assert added.status_code in (404, 422), added.text
    units = {"units": [{"unit_id": their_unit}]}
    units_put = api.client.request(
        "PUT", f"/api/v1/assessments/{my_assessment.id}/units", headers=api.headers, json=units
    )
    assert units_put.status_code == 422, units_put.text
    assert api.get(f"/assessments/{my_assessment.id}/compare/{their_assessment.id}").status_code == 404
    with transaction(site.sessions) as db:
        unit = db.get(Unit, my_units.n1)
        assert unit is not None
        assert unit.parent_id == my_units.north


def _survey(rows: list[tuple[int, str, int]]) -> str:
    """A Google Forms export: (month of 2026, branch, NPS answer) per response."""
    question = "How likely are you to recommend Contoso Bank to a friend or colleague?"
    lines = [f"Timestamp,{question},Which branch do you usually visit?"]
    lines += [
        f"{month}/{1 + n % 27}/2026 9:{n % 60:02d}:00,{score},{branch}" for n, (month, branch, score) in enumerate(rows)
    ]
    return "\n".join(lines) + "\n"


def test_a_segment_cannot_be_narrowed_to_one_month_by_subtracting_its_shown_months(site: Site, cast: Cast) -> None:
    """The outcomes summary shows each segment overall and per month. South answered 5 times in January and once in
    February: February's South cell is withheld (1 < 3), but South overall minus South in January is that one
    answer, unless another South month is withheld with it (the rule of groups along the months too). What still
    leaks by a chain of subtractions through the month's own figure is a known limit (docs/outcomes.md)."""
    org = _org(site, cast)
    rows = [(1, "South", 10)] * 5 + [(2, "South", 0)] + [(1, "North", 8)] * 5 + [(2, "North", 9)] * 5
    api = ApiCalls(site, cast.facilitator)
    file = {"text": _survey(rows), "filename": "g.csv"}
    mapping = api("POST", f"/organizations/{org}/outcomes/suggestions", file).json()["mapping"]
    mapping["segment"] = "Which branch do you usually visit?"
    imported = api("POST", f"/organizations/{org}/outcomes/imports", {**file, "mapping": mapping})
    assert imported.status_code == 201, imported.text
    nps = api("GET", f"/organizations/{org}/outcomes/summary").json()["nps"]
    south = next(c for c in nps["by_segment"] if c["segment"] == "South")
    assert not south.get("withheld"), south  # 6 answers: shown
    months = [c for c in nps["by_period_segment"] if c["segment"] == "South"]
    assert [(c["period"], c["n"]) for c in months] == [("2026-01", 5), ("2026-02", 1)]
    hidden = sum(c["n"] for c in months if c.get("withheld"))
    # What South overall minus its shown months leaves: none, or at least the minimum.
    assert hidden == 0 or hidden >= 3, months
    assert all(c.get("withheld") for c in months)


def _views(site: Site, cast: Cast, target: Board) -> dict[str, str]:
    """What a viewer (and the facilitator, for the workshop) reads of the assessment beyond the results and exports
    tests/web/test_no_padding.py checks: reports, slides, workbooks, results files and the workshop's agenda."""
    viewer = site.client(cast.viewer)
    texts = {
        "report.html": viewer.get(f"/assessments/{target.id}/report.html").text,
        "results.json": viewer.get(f"/assessments/{target.id}/results.json").text,
        "api report": Api(site, cast.viewer).get(f"/assessments/{target.id}/report?format=html").text,
    }
    deck = viewer.get(f"/assessments/{target.id}/report.pptx")
    assert deck.status_code == 200
    texts["report.pptx"] = _unpacked(deck.content)
    for name in ("results.xlsx", "all.zip", "all.json"):
        got = viewer.get(f"/assessments/{target.id}/export/{name}")
        assert got.status_code == 200, (name, got.text[:200])
        texts[name] = _unpacked(got.content)
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{target.id}/workshop"
    started = facilitator.submit(page, page, {})
    assert started.status_code in (200, 303), started.text
    texts["workshop"] = facilitator.get(page).text
    texts["workshop api"] = Api(site, cast.facilitator).get(f"/assessments/{target.id}/workshop").text
    return texts


def test_a_facilitator_who_fills_the_ceos_group_reads_it_in_no_other_view(site: Site, cast: Cast) -> None:
    """The CEO alone in Board (invited by e-mail, k = 3); the facilitator answers two links he downloaded for Board
    and imports two invented Board rows. No report, slide deck, workbook, results file or workshop agenda scores
    Board or names the group of the CEO's comment; with two more Board members invited by e-mail, they do."""
    target = _staff_and_ceo(site, cast)
    for token in _held_csv(site, cast, target, target.board, 2):
        _answer_all(site, token, 0.5)
    _import_into(site, cast, target, target.board, 2)
    texts = _views(site, cast, target)
    assert {view for view, text in texts.items() if target.board in text} == set()
    for token in _emailed(site, cast, target, target.board, 2):
        _answer_all(site, token, 0.8)
    with transaction(site.sessions) as db:  # the first workshop ends, so that a new one starts from these results
        running = workshops.latest_of(db, target.id)
        assert running is not None
        workshops.finish(db, Actor(cast.facilitator), running.id)
    texts = _views(site, cast, target)
    assert {view for view, text in texts.items() if target.board not in text} == set()


def test_naming_unit_leaders_cannot_look_up_accounts_without_end(site: Site, cast: Cast) -> None:
    """Anyone may sign up and own an organization of their own, and naming a unit's leader answered, without limit,
    whether an address has an account (and showed its name on the units page). Each attempt now counts against the
    owner's hourly limit, found or not, so the answer cannot be asked for address after address."""
    with transaction(site.sessions) as db:
        prober = accounts.sign_up(db, f"prober-{secrets.token_hex(3)}@example.com", PASSWORD)
        db.flush()
        org = organizations.create(db, Actor(prober.id), f"Probe {secrets.token_hex(3)}")
        db.flush()
        unit = units.create(db, Actor(prober.id), org.id, "Anything")
    api = Api(site, prober.id)
    answers = [
        api.post(f"/units/{unit.id}/leaders", {"email": f"guess-{n}-{secrets.token_hex(3)}@example.com"}).status_code
        for n in range(units.LEADER_LIMIT.failures)
    ]
    assert set(answers) == {422}
    # Past the limit, even an address that has an account gets no answer about it.
    refused = api.post(f"/units/{unit.id}/leaders", {"email": cast.emails["viewer"]})
    assert refused.status_code == 429, refused.text
    assert "try again in" in refused.json()["detail"]
    page = site.client(prober.id)
    tree = f"/orgs/{org.id}/units"
    form = page.submit(tree, f"/units/{unit.id}/leaders", {"email": cast.emails["viewer"]})
    assert form.status_code == 429
    assert cast.emails["viewer"] not in page.get(tree).text


def test_control_characters_in_a_title_or_a_group_break_no_report_or_export(site: Site, cast: Cast) -> None:
    """A title or a group name pasted with a vertical tab (Word writes them for line breaks) or any control character
    was stored as given. A title then failed every viewer's slide deck with a server error (the deck's properties
    are XML text, which cannot hold them), and a group name in a chart made the chart engine panic, so the HTML,
    PDF and PPTX reports all answered 503."""
    api = Api(site, cast.facilitator)
    body = {"title": "Board\x0breview\x01 2026", "framework": "builtin:xm-six-competencies"}
    created = api.post(f"/organizations/{cast.org_a}/assessments", body)
    assert created.status_code == 201, created.text
    assessment = created.json()["id"]
    # Every respondent imported: the groups are counted by the imported rows and shown, in charts too.
    text = answers_csv(12).replace("North", "North\x0bside\x01")
    assert api.post(f"/assessments/{assessment}/answers/import", {"text": text}).status_code == 201
    viewer = site.client(cast.viewer)
    for path in ("report.pptx", "report.pdf", "report.html", "export/all.xlsx", "export/all.zip", "results"):
        response = viewer.get(f"/assessments/{assessment}/{path}")
        assert response.status_code == 200, (path, response.status_code)
    deck = _unpacked(viewer.get(f"/assessments/{assessment}/report.pptx").content)
    assert "<dc:title>Board\ufffdreview\ufffd 2026</dc:title>" in deck  # reporting/xml_text.py: shown as U+FFFD
    assert "_x000B_" not in deck
