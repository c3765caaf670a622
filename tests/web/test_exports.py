"""Data downloads on SQLite and PostgreSQL: every export and format, round trips through the CSV import and the
XLSX reader, formulas neutralized, no respondent identity or small group anywhere, permissions and bad names."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zipfile
from collections import Counter
from dataclasses import replace
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cxmaturity.answers.xlsx_reader import read_answers_workbook
from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.exports import EXPORTS, FORMATS
from cxmaturity.scoring import score
from cxmaturity.scoring.serialize import result_to_dict
from cxmaturity.services import accounts, assessments, plans, results
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent, Invitation
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import FW, Filled, fill

INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "zip": "application/zip", "xlsx": XLSX, "json": "application/json"}
POINT = 0  # no bootstrap: the numbers that do not depend on the order of respondents


def _url(assessment_id: int, filename: str) -> str:
    return f"/assessments/{assessment_id}/export/{filename}"


def _combinations() -> list[tuple[str, str]]:
    return [(n, f) for n in EXPORTS for f in FORMATS if not (f == "csv" and len(EXPORTS[n]) > 1)]


def _texts(fmt: str, body: bytes) -> list[str]:
    """Every cell or value of a downloaded file, as text."""
    if fmt == "csv":
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return [cell for name in archive.namelist() for cell in _texts("csv", archive.read(name))]
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(body))
        return [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    return [json.dumps(json.loads(body), ensure_ascii=False)]


def _point(site: Site, cast: Cast, assessment_id: int) -> dict[str, Any]:
    with site.sessions() as db:
        assessment = assessments.get(db, Actor(cast.viewer), assessment_id)
        return result_to_dict(results.score_now(db, assessment, bootstrap=POINT).result)


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


class Api:
    def __init__(self, site: Site, user_id: int) -> None:
        self.client = site.client()
        with transaction(site.sessions) as db:
            token = accounts.create_api_token(db, user_id, "exports test")
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> httpx.Response:
        return self.client.get(f"/api/v1{url}", headers=self.headers)

    def post(self, url: str, body: Any) -> httpx.Response:
        return self.client.post(f"/api/v1{url}", headers=self.headers, json=body)


@pytest.fixture(scope="module")
def solo(site: Site, cast: Cast) -> Filled:
    """North 4, South 3 and Solo 1: naming North and South would isolate Solo's row, so South is withheld too."""
    suffix = secrets.token_hex(3)
    comments = dict(zip((f"North-{suffix}", f"South-{suffix}", f"Solo-{suffix}"), INJECTIONS, strict=True))
    groups = {f"North-{suffix}": (4, 0.7), f"South-{suffix}": (3, 0.4), f"Solo-{suffix}": (1, 0.1)}
    return fill(site, cast, groups, comments=comments)


@pytest.fixture(scope="module")
def mixed(site: Site, cast: Cast) -> Filled:
    """North 4, South 3, Duo 2 and Solo 1: three people in small groups hide among each other."""
    suffix = secrets.token_hex(3)
    groups = {f"North-{suffix}": (4, 0.7), f"South-{suffix}": (3, 0.4), f"Duo-{suffix}": (2, 0.2)}
    groups[f"Solo-{suffix}"] = (1, 0.9)
    return fill(site, cast, groups, targets={"lead": "embed"})


def test_a_viewer_downloads_every_export_in_every_format(site: Site, cast: Cast, solo: Filled) -> None:
    viewer = site.client(cast.viewer)
    for name, fmt in _combinations():
        if name == "plan":
            continue  # no plan yet: see the plan test
        response = viewer.get(_url(solo.id, f"{name}.{fmt}"))
        assert response.status_code == 200, (name, fmt, response.text[:300])
        assert response.headers["content-type"] == MEDIA[fmt]
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["content-disposition"] == f'attachment; filename="assessment-{solo.id}-{name}.{fmt}"'
        assert _texts(fmt, response.content)
    book = load_workbook(io.BytesIO(viewer.get(_url(solo.id, "all.xlsx")).content))
    assert book.sheetnames == [t for t in EXPORTS["all"] if t != "plan"] + ["about"]


def test_the_results_export_is_the_dashboard_s_json(site: Site, cast: Cast, solo: Filled) -> None:
    viewer = site.client(cast.viewer)
    exported = viewer.get(_url(solo.id, "results.json")).json()
    assert exported == viewer.get(f"/assessments/{solo.id}/results.json").json()
    assert exported == Api(site, cast.viewer).get(f"/assessments/{solo.id}/results").json()


def test_the_answers_come_back_through_the_csv_import_with_the_same_results(
    site: Site, cast: Cast, mixed: Filled
) -> None:
    body = site.client(cast.viewer).get(_url(mixed.id, "answers.csv")).content
    api = Api(site, cast.facilitator)
    created = api.post(
        f"/organizations/{cast.org_a}/assessments",
        {"title": f"Re-import {secrets.token_hex(3)}", "framework": "builtin:xm-six-competencies"},
    )
    assert created.status_code == 201, created.text
    copy = created.json()["id"]
    with transaction(site.sessions) as db:
        assessments.set_targets(db, Actor(cast.facilitator), copy, {"lead": "embed"})
    imported = api.post(f"/assessments/{copy}/answers/import", {"text": body.decode("utf-8"), "filename": "a.csv"})
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"imported": 10}
    before, after = _point(site, cast, mixed.id), _point(site, cast, copy)
    assert before["withheld_groups"] == 2  # Duo and Solo: withheld in the export, so no groups after import
    assert after["withheld_groups"] == 0
    # The seed of the (unused) bootstrap is the assessment's id; everything else is the same.
    assert _without(after["settings"], "seed") == _without(before["settings"], "seed")
    # Every respondent of the copy is imported: its groups are counted by the imported rows, and it says so.
    assert (before["groups_counted"], after["groups_counted"]) == ("independent", "imported")
    ignored = ("withheld_groups", "settings", "groups_counted")
    assert _without(after, *ignored) == _without(before, *ignored)
    assert [g["group"] for g in after["groups"]] == [g["group"] for g in before["groups"]]


def test_the_answers_come_back_from_the_workbook_with_the_same_results(site: Site, cast: Cast, mixed: Filled) -> None:
    for filename in ("answers.xlsx", "all.xlsx"):
        body = site.client(cast.viewer).get(_url(mixed.id, filename)).content
        responses = read_answers_workbook(body, FW, filename)
        with site.sessions() as db:
            stored = results.score_now(db, assessments.get(db, Actor(cast.viewer), mixed.id), bootstrap=POINT)
            options = replace(results.options_for(stored.assessment), bootstrap=POINT)
        after = result_to_dict(score(responses, options))
        before = result_to_dict(stored.result)
        assert _without(after, "withheld_groups") == _without(before, "withheld_groups")


def test_formulas_in_comments_are_neutralized(site: Site, cast: Cast, solo: Filled) -> None:
    viewer = site.client(cast.viewer)
    rows = list(csv.reader(io.StringIO(viewer.get(_url(solo.id, "comments.csv")).content.decode("utf-8-sig"))))
    assert sorted(row[4] for row in rows[1:]) == sorted("'" + text for text in INJECTIONS)
    with zipfile.ZipFile(io.BytesIO(viewer.get(_url(solo.id, "all.zip")).content)) as archive:
        zipped = archive.read("comments.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in zipped
    for filename in ("comments.xlsx", "all.xlsx"):
        sheet = load_workbook(io.BytesIO(viewer.get(_url(solo.id, filename)).content))["comments"]
        cells = [row[4] for row in sheet.iter_rows(min_row=2)]
        assert sorted(c.value for c in cells) == sorted("'" + text for text in INJECTIONS)
        assert all(c.data_type == "s" for c in cells)
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def _all_texts(site: Site, cast: Cast, assessment_id: int) -> dict[str, list[str]]:
    viewer = site.client(cast.viewer)
    return {
        f"{n}.{f}": _texts(f, viewer.get(_url(assessment_id, f"{n}.{f}")).content)
        for n, f in _combinations()
        if n != "plan"
    }


def _invitation_ids(site: Site, assessment_id: int) -> list[int]:
    with site.sessions() as db:
        return list(db.scalars(select(Invitation.id).where(Invitation.assessment_id == assessment_id)))


@pytest.mark.parametrize("which", ["solo", "mixed"])
def test_no_export_holds_a_respondent_identity_or_a_small_group(
    site: Site, cast: Cast, which: str, request: pytest.FixtureRequest
) -> None:
    filled: Filled = request.getfixturevalue(which)
    small = [name for name in filled.tokens if name.startswith(("Solo", "Duo"))]
    secrets_ = [t for tokens in filled.tokens.values() for t in tokens] + list(cast.emails.values()) + small
    for filename, texts in _all_texts(site, cast, filled.id).items():
        joined = "\n".join(texts)
        for secret in secrets_:
            assert secret not in joined, (filename, secret)
        assert "respondent-" not in joined  # the order-revealing ids of the database loader
        for header in ("invitation", "token", "email", "user"):
            assert not re.search(rf"\b{header}", joined.split("\n", 1)[0]), (filename, header)
    # The respondent column holds pseudonyms only, in an order unrelated to the invitations.
    rows = list(csv.reader(io.StringIO(site.client(cast.viewer).get(_url(filled.id, "answers.csv")).text)))
    pseudonyms = [row[0] for row in rows[1:]]
    assert pseudonyms == [f"R{k:04d}" for k in range(1, len(pseudonyms) + 1)]
    assert not set(pseudonyms) & {str(i) for i in _invitation_ids(site, filled.id)}


def _answer_rows(site: Site, cast: Cast, assessment_id: int, filename: str) -> Counter[tuple[str, ...]]:
    """The answers as a multiset of rows without the pseudonym, whatever the file's format."""
    body = site.client(cast.viewer).get(_url(assessment_id, filename)).content
    if filename.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    else:
        sheet = load_workbook(io.BytesIO(body))["answers"]
        rows = [["" if c.value is None else str(c.value) for c in row] for row in sheet.iter_rows(min_row=2)]
    return Counter(tuple(row[1:]) for row in rows)


def test_exports_cannot_be_differenced_to_single_anyone_out(
    site: Site, cast: Cast, solo: Filled, mixed: Filled
) -> None:
    # One person alone in a group: the results withhold the smallest other group too (South, 3), so the lone row
    # hides among four without a group name.
    solo_rows = _answer_rows(site, cast, solo.id, "answers.csv")
    solo_groups: Counter[str] = Counter()
    for row, count in solo_rows.items():
        solo_groups[row[0]] += count
    assert solo_groups[""] == 4
    assert {g for g in solo_groups if g} == {g for g in solo.tokens if g.startswith("North-")}
    # Three people in small groups: they share one empty group; the large groups keep their names.
    mixed_rows = _answer_rows(site, cast, mixed.id, "answers.csv")
    groups: Counter[str] = Counter()
    for row, count in mixed_rows.items():
        groups[row[0]] += count
    assert sorted(groups.values()) == [3, 3, 4]
    assert groups[""] == 3
    # Every format and every export that holds the answers carries the same rows: nothing to difference.
    for filename in ("answers.xlsx", "all.xlsx"):
        assert _answer_rows(site, cast, mixed.id, filename) == mixed_rows
    # The results name only groups the answers may name, or that the dashboard shows anyway.
    dashboard = site.client(cast.viewer).get(f"/assessments/{mixed.id}/results.json").json()
    assert {g["group"] for g in dashboard["groups"]} == {g for g in groups if g}


def test_viewers_download_and_outsiders_do_not(site: Site, cast: Cast, solo: Filled) -> None:
    url = _url(solo.id, "answers.csv")
    assert site.client(cast.viewer).get(url).status_code == 200
    outsider = site.client(cast.outsider).get(url)
    assert outsider.status_code == 404
    assert "Leadership team" not in outsider.text
    anonymous = site.client().get(url)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin")
    assert Api(site, cast.viewer).get(url).status_code == 200
    assert Api(site, cast.outsider).get(url).status_code == 404
    assert site.client().get(f"/api/v1{url}").status_code == 401
    with site.sessions() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.export"))
        assert any(e.user_id == cast.viewer and e.target == str(solo.id) for e in events)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("bogus.csv", "no export named &#39;bogus&#39;; the exports are answers, comments, results, plan, all"),
        ("answers.pdf", "there is no format &#39;pdf&#39;; the formats are csv, zip, xlsx, json"),
        ("results.csv", "ask for results.zip (a CSV file per table), results.xlsx or results.json"),
        ("answers", "is not an export file name"),
    ],
)
def test_wrong_names_get_a_clear_404(site: Site, cast: Cast, solo: Filled, filename: str, message: str) -> None:
    page = site.client(cast.viewer).get(_url(solo.id, filename))
    assert page.status_code == 404
    assert message in page.text
    assert "Traceback" not in page.text
    api = Api(site, cast.viewer).get(_url(solo.id, filename))
    assert api.status_code == 404
    assert message.replace("&#39;", "'") in api.json()["detail"]
    # An assessment that does not exist is not found whatever the name.
    assert site.client(cast.viewer).get(_url(10**9, filename)).status_code == 404


def test_the_plan_is_exported_once_saved(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.35)})
    viewer = site.client(cast.viewer)
    missing = viewer.get(_url(filled.id, "plan.xlsx"))
    assert missing.status_code == 404
    assert "no saved plan yet" in missing.text
    with transaction(site.sessions) as db:
        plans.make(db, Actor(cast.facilitator), filled.id)
    exported = viewer.get(_url(filled.id, "plan.json")).json()
    assert exported == Api(site, cast.viewer).get(f"/assessments/{filled.id}/plan").json()
    sheet = load_workbook(io.BytesIO(viewer.get(_url(filled.id, "plan.xlsx")).content))["plan"]
    header = [c.value for c in sheet[1]]
    first = sheet[2]
    assert first[header.index("start_date")].is_date
    assert first[header.index("start")].data_type == "n"
    assert first[header.index("key")].value == exported["initiatives"][0]["key"]
    book = load_workbook(io.BytesIO(viewer.get(_url(filled.id, "all.xlsx")).content))
    assert "plan" in book.sheetnames
    assert json.loads(viewer.get(_url(filled.id, "all.json")).content)["plan"] == exported


def test_the_results_page_links_the_downloads(site: Site, cast: Cast, solo: Filled) -> None:
    page = site.client(cast.viewer).get(f"/assessments/{solo.id}/results").text
    section = page.split('id="data"')[1].split("</section>")[0]
    assert "Download data" in section
    for filename in ("all.zip", "answers.csv", "comments.csv"):
        assert f'href="{_url(solo.id, filename)}"' in section
    # Workbooks are in the page's language; the stable names stay one link away.
    for filename in ("all.xlsx", "results.xlsx", "plan.xlsx"):
        assert f'href="{_url(solo.id, filename)}?lang=en"' in section
    assert f'href="{_url(solo.id, "all.xlsx")}?headers=keys"' in section
    german = site.client(cast.viewer).get(f"/assessments/{solo.id}/results?lang=de").text
    assert f'href="{_url(solo.id, "answers.xlsx")}?lang=de"' in german.split('id="data"')[1]


def _header_row(body: bytes, sheet: int = 0) -> tuple[list[str], list[object]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    names = list(book.sheetnames)
    return names, [c.value for c in next(book[names[sheet]].iter_rows(max_row=1))]


def test_a_german_reader_gets_a_german_workbook_and_the_stable_csv(site: Site, cast: Cast, solo: Filled) -> None:
    viewer = site.client(cast.viewer)
    api = Api(site, cast.viewer)
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    # The page's language (?lang=, else the browser's) for a workbook, on the web and in the API.
    for body in (
        viewer.get(_url(solo.id, "all.xlsx?lang=de")).content,
        viewer.get(_url(solo.id, "all.xlsx"), headers=german).content,
        api.client.get(f"/api/v1{_url(solo.id, 'all.xlsx')}", headers={**api.headers, **german}).content,
    ):
        sheets, header = _header_row(body)
        assert sheets[:3] == ["Antworten", "Kommentare", "Gesamt"]
        assert header[:2] == ["Befragte Person", "Gruppe"]
        # ... and it reads back, in German, to the same answers.
        assert read_answers_workbook(body, FW, "all.xlsx").size == 8
    stable = viewer.get(_url(solo.id, "all.xlsx?headers=keys"), headers=german).content
    assert _header_row(stable)[0][:3] == ["answers", "comments", "overall"]
    assert _header_row(viewer.get(_url(solo.id, "all.xlsx")).content)[1][:2] == ["respondent", "group"]
    # CSV files keep the stable names for a German browser; ?lang= asks for German headers.
    for body in (
        viewer.get(_url(solo.id, "answers.csv"), headers=german).content,
        api.get(_url(solo.id, "answers.csv")).content,
    ):
        assert next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[:2] == ["respondent", "group"]
    body = api.get(_url(solo.id, "answers.csv?lang=de")).content
    assert next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[:2] == ["Befragte Person", "Gruppe"]
    # The API refuses a language it has no catalog for, rather than guessing.
    assert api.get(_url(solo.id, "answers.csv?lang=xx")).status_code == 422


def test_synthetic_data_is_labelled_in_every_export(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.5)}, synthetic=True)
    viewer = site.client(cast.viewer)
    response = viewer.get(_url(filled.id, "answers.csv"))
    assert f"assessment-{filled.id}-answers-synthetic.csv" in response.headers["content-disposition"]
    assert viewer.get(_url(filled.id, "results.json")).json()["data"] == SYNTHETIC_LABEL
    assert viewer.get(_url(filled.id, "answers.json")).json()["data"] == SYNTHETIC_LABEL
    about = load_workbook(io.BytesIO(viewer.get(_url(filled.id, "answers.xlsx")).content))["about"]
    assert [c.value for c in about[2]] == ["data", SYNTHETIC_LABEL]
    with zipfile.ZipFile(io.BytesIO(viewer.get(_url(filled.id, "all.zip")).content)) as archive:
        assert SYNTHETIC_LABEL in archive.read("about.csv").decode("utf-8-sig")
