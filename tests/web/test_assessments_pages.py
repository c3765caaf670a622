"""The facilitator's assessment pages, on SQLite and PostgreSQL: create, upload frameworks, groups, targets,
open and close, invitation links, imports, and who may see or change what."""

from __future__ import annotations

import csv
import html
import io
import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from cxmaturity.services import assessments, respond, results
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, UploadedFramework
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = (DATA / "example.yaml").read_text(encoding="utf-8")
WORKED_CSV = (DATA / "worked-example.csv").read_text(encoding="utf-8")


def _text(response: object) -> str:
    """The page as a person reads it: entities such as &#39; turned back into characters."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _example(framework_id: str) -> str:
    return EXAMPLE.replace("id: example-model", f"id: {framework_id}", 1)


def _new(site: Site, cast: Cast, *, framework: str = "builtin:xm-six-competencies", open_it: bool = False) -> int:
    """A new assessment of organization A, made through the services (for tests about other pages)."""
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Pages test {secrets.token_hex(3)}", framework, groups=["North", "South"]
        )
        if open_it:
            assessments.set_status(db, actor, assessment.id, "open")
        return assessment.id


def _uploaded(site: Site, cast: Cast) -> str:
    """A framework uploaded to organization A under a fresh id; return its choice reference."""
    with transaction(site.sessions) as db:
        row = assessments.upload_framework(
            db, Actor(cast.facilitator), cast.org_a, "example.yaml", _example(f"example-{secrets.token_hex(4)}")
        )
        return f"uploaded:{row.id}"


def _assessment_row(site: Site, assessment_id: int) -> Assessment:
    with site.sessions() as db:
        found = db.get(Assessment, assessment_id)
        assert found is not None
        return found


def _group_ids(site: Site, assessment_id: int) -> dict[str, int]:
    with site.sessions() as db:
        return {g.name: g.id for g in assessments.groups(db, assessment_id)}


def _respondents(site: Site, cast: Cast, assessment_id: int) -> int:
    with site.sessions() as db:
        return results.results(db, Actor(cast.viewer), assessment_id).result.respondents


def _links(site: Site, client: WebClient, assessment_id: int, group_id: int | str, count: int) -> list[str]:
    page = f"/assessments/{assessment_id}"
    response = client.submit(
        page, f"{page}/invitations", {"group": str(group_id), "count": str(count), "delivery": "csv"}
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    return [row["link"] for row in rows]


# --------------------------------------------------------------------------------------------------------------------
# Creating an assessment


def test_it_creates_an_assessment_through_the_form(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    new = f"/orgs/{cast.org_a}/assessments/new"
    form = client.get(new)
    assert form.status_code == 200
    assert 'value="builtin:four-competencies"' in form.text
    default_size = site.settings.default_min_group_size
    assert re.search(rf'<input id="min_group_size" name="min_group_size" [^>]*value="{default_size}"', form.text)
    title = f"Customer service 2026 {secrets.token_hex(3)}"
    response = client.submit(
        new,
        new,
        {
            "title": title,
            "framework": "builtin:four-competencies",
            "min_group_size": "4",
            "groups": "Front line\n\nManagers\nfront line\n",
        },
    )
    assert response.status_code == 303
    assessment_id = int(response.headers["location"].rsplit("/", 1)[1])
    row = _assessment_row(site, assessment_id)
    assert (row.title, row.framework_id, row.status, row.min_group_size) == (title, "four-competencies", "draft", 4)
    assert sorted(_group_ids(site, assessment_id)) == ["Front line", "Managers"]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert title in page.text
    assert "Four competencies" in page.text or "four-competencies" in page.text
    assert '<span class="status status-draft">draft</span>' in page.text
    assert "<li>Front line</li>" in page.text
    assert f'href="/assessments/{assessment_id}/results"' in page.text
    assert "SYNTHETIC" not in page.text


def test_it_shows_form_errors_and_keeps_what_was_typed(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    new = f"/orgs/{cast.org_a}/assessments/new"
    response = client.submit(
        new, new, {"title": "  ", "framework": "builtin:four-competencies", "min_group_size": "3", "groups": "Keep me"}
    )
    assert response.status_code == 422
    assert "the assessment needs a title" in response.text
    assert "Keep me</textarea>" in response.text
    response = client.submit(
        new, new, {"title": "Sized", "framework": "builtin:four-competencies", "min_group_size": "many"}
    )
    assert response.status_code == 422
    assert "the minimum group size must be a whole number between 1 and 100" in response.text
    response = client.submit(
        new, new, {"title": "Unknown", "framework": "builtin:no-such-model", "min_group_size": "3"}
    )
    assert response.status_code == 422
    assert "choose a framework from the list" in response.text


def test_it_labels_a_synthetic_assessment(site: Site, cast: Cast) -> None:
    with transaction(site.sessions) as db:
        demo = assessments.create(
            db, Actor(cast.facilitator), cast.org_a, "Demo data", "builtin:four-competencies", synthetic=True
        )
    page = site.client(cast.viewer).get(f"/assessments/{demo.id}")
    assert '<span class="badge">SYNTHETIC</span>' in page.text


# --------------------------------------------------------------------------------------------------------------------
# Framework uploads


def test_it_uploads_a_valid_framework_and_offers_it(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    new = f"/orgs/{cast.org_a}/assessments/new"
    framework_id = f"example-{secrets.token_hex(4)}"
    response = client.submit(
        new,
        f"/orgs/{cast.org_a}/frameworks",
        files={"file": ("example.yaml", _example(framework_id).encode(), "application/yaml")},
    )
    assert response.status_code == 303
    ref = response.headers["location"].split("uploaded=", 1)[1]
    page = client.get(response.headers["location"])
    assert f"Uploaded Example CX maturity model ({framework_id} 1.0). It is selected above." in page.text
    assert f'<option value="{ref}" selected>' in page.text
    created = client.submit(new, new, {"title": "On our own model", "framework": ref, "min_group_size": "3"})
    assert created.status_code == 303
    row = _assessment_row(site, int(created.headers["location"].rsplit("/", 1)[1]))
    assert (row.framework_id, row.framework_version) == (framework_id, "1.0")
    again = client.submit(
        new,
        f"/orgs/{cast.org_a}/frameworks",
        files={"file": ("again.yaml", _example(framework_id).encode(), "application/yaml")},
    )
    assert again.status_code == 409
    assert f"framework {framework_id} version 1.0 is already uploaded; raise its version" in again.text


def test_it_lists_every_error_of_a_broken_framework_and_stores_nothing(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    framework_id = f"broken-{secrets.token_hex(4)}"
    broken = (
        _example(framework_id)
        .replace("stage: committing", "stage: committed", 1)
        .replace("scale: agree5", "scale: agree7", 1)
    )
    new = f"/orgs/{cast.org_a}/assessments/new"
    response = client.submit(
        new, f"/orgs/{cast.org_a}/frameworks", files={"file": ("broken.yaml", broken.encode(), "application/yaml")}
    )
    assert response.status_code == 422
    page = _text(response)
    assert "broken.yaml is not a valid framework" in page
    assert (
        "<code>broken.yaml:38:16 competencies[0].indicators[0].scale: unknown scale 'agree7' (known: agree5)</code>"
        in page
    )
    assert (
        "<code>broken.yaml:42:16 competencies[0].indicators[1].stage: unknown stage 'committed' "
        "(known: emerging, learning, committing)</code>"
    ) in page
    with site.sessions() as db:
        assert db.scalar(select(UploadedFramework.id).where(UploadedFramework.framework_id == framework_id)) is None

    syntax = client.submit(
        new, f"/orgs/{cast.org_a}/frameworks", files={"file": ("syntax.yaml", b"a: [b", "application/yaml")}
    )
    assert syntax.status_code == 422
    assert "<code>syntax.yaml:2:1 YAML syntax error: did not find expected ',' or ']'</code>" in _text(syntax)


def test_it_refuses_a_framework_file_over_the_size_limit(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    new = f"/orgs/{cast.org_a}/assessments/new"
    framework_id = f"large-{secrets.token_hex(4)}"
    limit = site.settings.max_upload_bytes
    site.settings.max_upload_bytes = 1000
    try:
        response = client.submit(
            new,
            f"/orgs/{cast.org_a}/frameworks",
            files={"file": ("large.yaml", _example(framework_id).encode(), "application/yaml")},
        )
    finally:
        site.settings.max_upload_bytes = limit
    assert response.status_code == 413
    assert "large.yaml is larger than the limit of 1000 bytes; nothing was stored" in response.text
    with site.sessions() as db:
        assert db.scalar(select(UploadedFramework.id).where(UploadedFramework.framework_id == framework_id)) is None


def test_it_asks_for_a_file_and_for_utf8(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    new = f"/orgs/{cast.org_a}/assessments/new"
    empty = client.submit(new, f"/orgs/{cast.org_a}/frameworks", files={"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422
    assert "choose the framework (YAML) file to upload" in empty.text
    latin = client.submit(
        new,
        f"/orgs/{cast.org_a}/frameworks",
        files={"file": ("latin.yaml", "name: Café".encode("latin-1"), "text/yaml")},
    )
    assert latin.status_code == 422
    assert "latin.yaml is not UTF-8 text; save it as UTF-8 and upload it again" in latin.text


# --------------------------------------------------------------------------------------------------------------------
# Overview: groups, targets, status


def test_it_adds_groups(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(page, f"{page}/groups", {"groups": "East\n  West  \nnorth\n"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}#groups"
    assert sorted(_group_ids(site, assessment_id)) == ["East", "North", "South", "West"]
    text = client.get(page).text
    assert "<li>East</li>" in text
    assert '<th scope="row">West</th>' in text  # a row in the response rate table too
    empty = client.submit(page, f"{page}/groups", {"groups": "\n \n"})
    assert empty.status_code == 422
    assert "enter the names of the groups to add, one per line" in empty.text


def test_it_sets_targets_and_refuses_an_unknown_stage(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    form = client.get(page).text
    assert form.count('<select id="target-') == 6
    assert '<option value="lead=" selected>Next stage (default)</option>' in form
    response = client.submit(page, f"{page}/targets", {"target": ["lead=scale", "realize=", "disrupt=embed"]})
    assert response.status_code == 303
    assert _assessment_row(site, assessment_id).targets == {"lead": "scale", "disrupt": "embed"}
    form = client.get(page).text
    assert '<option value="lead=scale" selected>' in form
    assert '<option value="realize=" selected>Next stage (default)</option>' in form

    wrong = client.submit(page, f"{page}/targets", {"target": ["lead=nowhere"]})
    assert wrong.status_code == 422
    assert "unknown stage 'nowhere' for 'lead' (known: investigate, initiate, mobilize, scale, embed)" in _text(wrong)
    malformed = client.submit(page, f"{page}/targets", {"target": ["lead"]})
    assert malformed.status_code == 422
    assert "'lead' is not a target: expected competency=stage" in _text(malformed)
    assert _assessment_row(site, assessment_id).targets == {"lead": "scale", "disrupt": "embed"}


def test_it_opens_closes_and_reopens(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    assert "Open the assessment</button>" in client.get(page).text
    assert client.submit(page, f"{page}/status", {"status": "open"}).status_code == 303
    assert _assessment_row(site, assessment_id).status == "open"
    assert "Close the assessment</button>" in client.get(page).text
    assert client.submit(page, f"{page}/status", {"status": "closed"}).status_code == 303
    assert _assessment_row(site, assessment_id).status == "closed"
    assert "Reopen the assessment</button>" in client.get(page).text
    again = client.submit(page, f"{page}/status", {"status": "closed"})
    assert again.status_code == 409
    assert "an assessment that is closed cannot be set to closed" in again.text
    odd = client.submit(page, f"{page}/status", {"status": "archived"})
    assert odd.status_code == 422
    assert "status must be open or closed" in odd.text


# --------------------------------------------------------------------------------------------------------------------
# Invitations


def test_it_downloads_invitation_links_as_csv_that_work(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast, open_it=True)
    groups = _group_ids(site, assessment_id)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(
        page, f"{page}/invitations", {"group": str(groups["North"]), "count": "3", "delivery": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="invitations-{assessment_id}-north.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["group", "link"]
    assert [r[0] for r in rows[1:]] == ["North"] * 3
    links = [r[1] for r in rows[1:]]
    assert len(set(links)) == 3
    assert all(re.fullmatch(r"https://testserver/r/[A-Za-z0-9_-]{32}", link) for link in links)
    respondent = site.client()
    for link in links:
        token = link.rsplit("/", 1)[1]
        assert respondent.get(f"/r/{token}").status_code == 200
        with site.sessions() as db:
            visit = respond.visit(db, token)
            assert (visit.assessment.id, visit.group) == (assessment_id, "North")
    rates = client.get(f"{page}/rates.json").json()
    assert {"group": "North", "invited": 3, "started": 0, "completed": 0, "rate": 0.0, "percent": "0%"} in rates[
        "groups"
    ]
    assert rates["total"]["invited"] == 3
    assert '<th scope="row">North</th><td class="num">3</td>' in client.get(page).text


def test_it_neutralizes_spreadsheet_formulas_in_group_names(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    with transaction(site.sessions) as db:
        (group,) = assessments.add_groups(db, Actor(cast.facilitator), assessment_id, ["=HYPERLINK(1)"])
        group_id = group.id
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(page, f"{page}/invitations", {"group": str(group_id), "count": "1", "delivery": "csv"})
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="invitations-{assessment_id}-hyperlink-1.csv"'
    )


def test_it_shows_links_once_on_a_page(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast, open_it=True)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(page, f"{page}/invitations", {"group": "", "count": "2", "delivery": "show"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "These links are shown only once." in response.text
    links = re.findall(r"<li><code>(https://testserver/r/[^<]+)</code></li>", response.text)
    assert len(links) == 2
    assert "Group: <strong>no group</strong>" in response.text
    for link in links:
        assert site.client().get(link.removeprefix("https://testserver")).status_code == 200
    rates = client.get(f"{page}/rates.json").json()
    assert {"group": "(no group)", "invited": 2, "started": 0, "completed": 0, "rate": 0.0, "percent": "0%"} in rates[
        "groups"
    ]


def test_it_warns_that_links_of_a_draft_or_closed_assessment_do_not_work_yet(site: Site, cast: Cast) -> None:
    """A closed assessment still offers links (reopening it makes them work), but a facilitator who made them after
    closing handed out links that only said "closed": the overview and the links page now say so first."""
    assessment_id = _new(site, cast, open_it=True)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    shown = client.submit(page, f"{page}/invitations", {"group": "", "count": "1", "delivery": "show"}).text
    assert 'id="links-closed"' not in shown
    assert 'id="links-draft"' not in shown
    assert 'id="invite-closed"' not in client.get(page).text
    with transaction(site.sessions) as db:
        assessments.set_status(db, Actor(cast.facilitator), assessment_id, "closed")
    assert "The assessment is closed: new links say so" in client.get(page).text
    shown = client.submit(page, f"{page}/invitations", {"group": "", "count": "1", "delivery": "show"}).text
    assert "The assessment is closed: these links say so to whoever opens them until you reopen it." in shown
    (link,) = re.findall(r"<li><code>https://testserver(/r/[^<]+)</code></li>", shown)
    assert "This assessment is closed" in site.client().get(link).text
    draft = f"/assessments/{_new(site, cast)}"
    shown = client.submit(draft, f"{draft}/invitations", {"group": "", "count": "1", "delivery": "show"}).text
    assert "The assessment is a draft: these links work once you open it." in shown


def test_it_checks_the_invitation_form(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    other = _new(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    limit = site.settings.max_invitations_per_request
    for count in ("0", "many", str(limit + 1)):
        response = client.submit(page, f"{page}/invitations", {"group": "", "count": count, "delivery": "show"})
        assert response.status_code == 422
        assert f"enter how many links to create: a whole number from 1 to {limit}" in response.text
    foreign = _group_ids(site, other)["North"]
    response = client.submit(page, f"{page}/invitations", {"group": str(foreign), "count": "1", "delivery": "csv"})
    assert response.status_code == 422
    assert "choose a group of this assessment" in response.text
    response = client.submit(page, f"{page}/invitations", {"group": "", "count": "1", "delivery": "pigeon"})
    assert response.status_code == 422
    assert "choose how to deliver the links: CSV file, on a page or by e-mail" in response.text
    rates = client.get(f"{page}/rates.json").json()
    assert rates["total"]["invited"] == 0


def test_it_says_when_email_is_not_set_up(site: Site, cast: Cast) -> None:
    assert not site.settings.smtp_host
    assessment_id = _new(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    assert "E-mail is not set up on this server (CXM_SMTP_HOST is empty)" in client.get(page).text
    response = client.submit(page, f"{page}/invitations", {"delivery": "email", "emails": "ana@example.com"})
    assert response.status_code == 409
    assert (
        "e-mail is not set up on this server (CXM_SMTP_HOST is empty): download the links as a CSV file or show "
        "them on a page, and send them yourself"
    ) in response.text
    bad = client.submit(page, f"{page}/invitations", {"delivery": "email", "emails": "ana@example.com\nnot an address"})
    assert bad.status_code == 422
    assert "some lines are not e-mail addresses; write one address per line" in bad.text
    assert "<code>line 2: not an address</code>" in bad.text
    assert client.get(f"{page}/rates.json").json()["total"]["invited"] == 0


# --------------------------------------------------------------------------------------------------------------------
# Imports


def test_it_imports_answers_from_a_csv_file(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast, framework=_uploaded(site, cast), open_it=True)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(page, f"{page}/import", files={"file": ("answers.csv", WORKED_CSV.encode(), "text/csv")})
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?imported=4#import"
    assert "Imported the answers of 4 respondents." in client.get(response.headers["location"]).text
    assert _respondents(site, cast, assessment_id) == 4
    assert {"North", "South", "leadership", "front line"} == set(_group_ids(site, assessment_id))


def test_the_same_answers_file_imported_twice_is_refused_unless_the_box_is_ticked(site: Site, cast: Cast) -> None:
    # The second import of a file added its respondents again, doubling their weight in every result.
    assessment_id = _new(site, cast, framework=_uploaded(site, cast), open_it=True)
    title = _assessment_row(site, assessment_id).title
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    first = client.submit(page, f"{page}/import", files={"file": ("answers.csv", WORKED_CSV.encode(), "text/csv")})
    assert first.status_code == 303
    # The same content saved elsewhere (another name, CRLF line ends, a byte order mark) is the same file.
    again = ("\ufeff" + WORKED_CSV.replace("\n", "\r\n")).encode()
    refused = client.submit(page, f"{page}/import", files={"file": ("copy.csv", again, "text/csv")})
    assert refused.status_code == 409
    text = _text(refused)
    assert re.search(
        rf"copy\.csv holds the same answers as a file imported into \u201c{re.escape(title)}\u201d on "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC; importing it again would count its respondents twice",
        text,
    ), text
    assert 'name="allow_duplicate"' in refused.text
    assert _respondents(site, cast, assessment_id) == 4
    anyway = client.submit(
        page, f"{page}/import", {"allow_duplicate": "yes"}, files={"file": ("copy.csv", again, "text/csv")}
    )
    assert anyway.status_code == 303
    assert _respondents(site, cast, assessment_id) == 8
    # Another assessment may take the same file.
    other = _new(site, cast, framework=_uploaded(site, cast), open_it=True)
    elsewhere = client.submit(
        f"/assessments/{other}",
        f"/assessments/{other}/import",
        files={"file": ("answers.csv", WORKED_CSV.encode(), "text/csv")},
    )
    assert elsewhere.status_code == 303


def test_a_workbook_chosen_for_the_csv_import_is_named_as_one_and_imports_nothing(site: Site, cast: Cast) -> None:
    # It was refused as "answers.xlsx is not UTF-8 text; save it as UTF-8", which sends people to the wrong setting.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in WORKED_CSV.splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    assessment_id = _new(site, cast, framework=_uploaded(site, cast), open_it=True)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = client.submit(page, f"{page}/import", files={"file": ("answers.xlsx", out.getvalue(), kind)})
    assert response.status_code == 422
    assert (
        "answers.xlsx is a spreadsheet workbook; this import reads CSV: save its answers sheet as CSV UTF-8"
        in response.text
    )
    assert _respondents(site, cast, assessment_id) == 0


def test_it_lists_the_rows_of_a_broken_answers_file_and_imports_nothing(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast, framework=_uploaded(site, cast), open_it=True)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    broken = WORKED_CSV.replace("r2,leadership,vs-2,2", "r2,leadership,vs-2,7").replace(
        "r4,front line,ci-1,emerging", "r4,front line,ci-1,emergent"
    )
    response = client.submit(page, f"{page}/import", files={"file": ("answers.csv", broken.encode(), "text/csv")})
    assert response.status_code == 422
    text = _text(response)
    assert "the file has errors; nothing was imported" in text
    assert (
        "<code>answers.csv:7 column 'answer': '7' is not an answer to 'vs-2' (allowed: 1, 2, 3, 4, 5, dk, na)</code>"
        in text
    )
    assert "<code>answers.csv:16 column 'answer': " in text
    assert _respondents(site, cast, assessment_id) == 0
    assert set(_group_ids(site, assessment_id)) == {"North", "South"}


# --------------------------------------------------------------------------------------------------------------------
# Who may do what


def _posts(site: Site, cast: Cast, assessment_id: int) -> list[tuple[str, dict[str, object]]]:
    """Every state-changing form of these pages, with valid content."""
    group = _group_ids(site, assessment_id)["North"]
    return [
        (
            f"/orgs/{cast.org_a}/assessments/new",
            {"data": {"title": "X", "framework": "builtin:four-competencies", "min_group_size": "3"}},
        ),
        (
            f"/orgs/{cast.org_a}/frameworks",
            {"files": {"file": ("x.yaml", _example(f"x-{secrets.token_hex(4)}").encode(), "text/yaml")}},
        ),
        (f"/assessments/{assessment_id}/status", {"data": {"status": "open"}}),
        (f"/assessments/{assessment_id}/targets", {"data": {"target": ["lead=scale"]}}),
        (f"/assessments/{assessment_id}/groups", {"data": {"groups": "Intruders"}}),
        (f"/assessments/{assessment_id}/invitations", {"data": {"group": str(group), "count": "2", "delivery": "csv"}}),
        (f"/assessments/{assessment_id}/import", {"files": {"file": ("a.csv", WORKED_CSV.encode(), "text/csv")}}),
    ]


def _post(client: WebClient, action: str, csrf: str | None, kwargs: dict[str, object]) -> int:
    data = dict(kwargs.get("data", {}))  # type: ignore[call-overload]
    if csrf is not None:
        data["csrf_token"] = csrf
    files = kwargs.get("files")
    return client.post(action, data=data, files=files).status_code


def _unchanged(site: Site, cast: Cast, assessment_id: int) -> None:
    """Nothing the forms of ``_posts`` would change has changed."""
    row = _assessment_row(site, assessment_id)
    assert (row.status, row.targets) == ("draft", {})
    assert set(_group_ids(site, assessment_id)) == {"North", "South"}
    with site.sessions() as db:
        rates = assessments.response_rates(db, Actor(cast.facilitator), assessment_id)
    assert sum(r.invited for r in rates) == 0
    assert _respondents(site, cast, assessment_id) == 0


def test_it_lets_a_viewer_read_but_change_nothing(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast, framework=_uploaded(site, cast))
    viewer = site.client(cast.viewer)
    page = viewer.get(f"/assessments/{assessment_id}")
    assert page.status_code == 200
    assert "Response rate" in page.text
    for form in ("status", "targets", "groups", "invitations", "import"):
        assert f'action="/assessments/{assessment_id}/{form}"' not in page.text
    assert "You can read this assessment; facilitators and owners of Organization A change it." in page.text
    assert viewer.get(f"/assessments/{assessment_id}/rates.json").status_code == 200
    assert viewer.get(f"/orgs/{cast.org_a}/assessments/new").status_code == 403
    csrf = viewer.csrf(f"/assessments/{assessment_id}")
    for action, kwargs in _posts(site, cast, assessment_id):
        assert _post(viewer, action, csrf, kwargs) == 403, action
    _unchanged(site, cast, assessment_id)
    with site.sessions() as db:
        assert (
            db.scalar(select(Assessment.id).where(Assessment.title == "X", Assessment.organization_id == cast.org_a))
            is None
        )


def test_it_hides_every_assessment_route_from_outsiders(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    outsider = site.client(cast.outsider)
    for url in (
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/rates.json",
        f"/orgs/{cast.org_a}/assessments/new",
        f"/assessments/{cast.assessment}",
    ):
        assert outsider.get(url).status_code == 404, url
    csrf = outsider.csrf("/")
    for action, kwargs in _posts(site, cast, assessment_id):
        assert _post(outsider, action, csrf, kwargs) == 404, action
    _unchanged(site, cast, assessment_id)
    assert site.client(cast.facilitator).get("/assessments/999999999").status_code == 404


def test_it_requires_the_form_token_on_every_post(site: Site, cast: Cast) -> None:
    assessment_id = _new(site, cast)
    facilitator = site.client(cast.facilitator)
    for action, kwargs in _posts(site, cast, assessment_id):
        assert _post(facilitator, action, None, kwargs) == 403, action
        assert _post(facilitator, action, "forged-token-forged-token", kwargs) == 403, action
    _unchanged(site, cast, assessment_id)


def test_it_sends_anonymous_visitors_to_sign_in(site: Site, cast: Cast) -> None:
    response = site.client().get(f"/assessments/{cast.assessment}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/assessments/{cast.assessment}"


@pytest.mark.parametrize("role", ["owner", "facilitator"])
def test_it_lets_owners_and_facilitators_change_things(site: Site, cast: Cast, role: str) -> None:
    assessment_id = _new(site, cast)
    client = site.client(getattr(cast, role))
    page = f"/assessments/{assessment_id}"
    text = client.get(page).text
    for form in ("status", "targets", "groups", "invitations", "import"):
        assert f'action="/assessments/{assessment_id}/{form}"' in text
    assert client.submit(page, f"{page}/groups", {"groups": role}).status_code == 303


def test_it_polls_the_response_rate_with_a_script_file(site: Site, cast: Cast) -> None:
    client = site.client(cast.viewer)
    page = client.get(f"/assessments/{cast.assessment}").text
    assert '<script src="/static/rates.js" defer></script>' in page
    assert f'<table id="rates" data-source="/assessments/{cast.assessment}/rates.json">' in page
    for inline in ("<script>", " style=", " onclick="):
        assert inline not in page
    script = client.get("/static/rates.js")
    assert script.status_code == 200
    assert "setInterval(poll, INTERVAL)" in script.text
    data = client.get(f"/assessments/{cast.assessment}/rates.json").json()
    assert {"Leadership", "Operations"} <= {g["group"] for g in data["groups"]}
    assert set(data["total"]) == {"group", "invited", "started", "completed", "rate", "percent"}
