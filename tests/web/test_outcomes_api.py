"""The outcome endpoints of /api/v1 on SQLite and PostgreSQL: imports counted once, errors that name file, row and
column with nothing stored, summaries with intervals, customer asset, key drivers, the scorecard, and roles."""

from __future__ import annotations

import base64
import io
import secrets
from pathlib import Path

from cxmaturity.services import organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site
from tests.web.test_plans_api import Api

DATA = Path(__file__).parents[1] / "data" / "outcomes"


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.facilitator), f"Outcomes API {secrets.token_hex(3)}").id


def test_it_imports_a_qualtrics_export_once_and_summarizes_it(site: Site, cast: Cast) -> None:
    api, org = Api(site, cast.facilitator), _org(site, cast)
    text = (DATA / "qualtrics.csv").read_text(encoding="utf-8-sig")
    suggested = api("POST", f"/organizations/{org}/outcomes/suggestions", {"text": text, "filename": "q.csv"})
    assert suggested.status_code == 200, suggested.text
    assert suggested.json()["tool"] == "qualtrics"
    first = api("POST", f"/organizations/{org}/outcomes/imports", {"text": text, "filename": "q.csv", "save_as": "Q"})
    assert first.status_code == 201, first.text
    assert first.json()["added"] == first.json()["responses"] > 0
    again = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"text": text, "filename": "q.csv", "mapping_name": "Q"}
    )
    assert again.json()["added"] == 0
    assert again.json()["replaced"] == first.json()["responses"]
    summary = api("GET", f"/organizations/{org}/outcomes/summary?period=quarter").json()
    assert summary["responses"] == first.json()["responses"]
    assert summary["nps"]["n"] == first.json()["responses"]
    assert len(summary["nps"]["interval"]) == 2
    listed = api("GET", f"/organizations/{org}/outcomes/imports").json()
    assert [s["kind"] for s in listed] == ["survey", "survey"]
    assert api("DELETE", f"/organizations/{org}/outcomes/imports/{listed[0]['id']}").status_code == 204
    assert api("GET", f"/organizations/{org}/outcomes/summary").json()["responses"] == 0


def test_a_customer_list_with_an_end_before_its_start_stores_nothing(site: Site, cast: Cast) -> None:
    api, org = Api(site, cast.facilitator), _org(site, cast)
    bad = "customer_id,segment,start_date,end_date,value_per_year\nC1,A,2025-01-01,,10\nC2,A,2025-05-01,2025-02-01,5\n"
    refused = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"kind": "customers", "text": bad, "filename": "crm.csv"}
    )
    assert refused.status_code == 422
    assert any(p.startswith("crm.csv:3") and "end_date" in p for p in refused.json()["problems"]), refused.json()
    good = (DATA / "customers.csv").read_text(encoding="utf-8-sig")
    done = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"kind": "customers", "text": good, "filename": "crm.csv"}
    )
    assert done.status_code == 201, done.text
    asset = api("GET", f"/organizations/{org}/outcomes/asset?from=2025-01-01&to=2026-03-31").json()
    assert asset["customers"] == done.json()["added"]
    assert set(asset) >= {"start", "end", "gained", "lost", "retention_rate", "churn_rate"}


def test_outsiders_see_nothing_and_viewers_cannot_import(site: Site, cast: Cast) -> None:
    text = (DATA / "qualtrics.csv").read_text(encoding="utf-8-sig")
    outsider, viewer = Api(site, cast.outsider), Api(site, cast.viewer)
    for url in ("outcomes/summary", "outcomes/imports", "scorecard", "outcomes/asset"):
        assert outsider("GET", f"/organizations/{cast.org_a}/{url}").status_code == 404
    assert viewer("GET", f"/organizations/{cast.org_a}/scorecard").status_code == 200
    refused = viewer("POST", f"/organizations/{cast.org_a}/outcomes/imports", {"text": text})
    assert refused.status_code == 403


def _workbook(csv_path: Path) -> bytes:
    """The CSV file's rows as the first sheet of an XLSX workbook (as a spreadsheet saves it: numbers as numbers)."""
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_it_imports_xlsx_workbooks_as_the_page_and_the_cli_do(site: Site, cast: Cast) -> None:
    import base64

    api = Api(site, cast.facilitator)
    by_csv, by_xlsx = _org(site, cast), _org(site, cast)
    for kind, name in (("survey", "google-forms"), ("customers", "customers")):
        text = (DATA / f"{name}.csv").read_text(encoding="utf-8-sig")
        from_csv = api(
            "POST", f"/organizations/{by_csv}/outcomes/imports", {"kind": kind, "text": text, "filename": f"{name}.csv"}
        )
        assert from_csv.status_code == 201, from_csv.text
        workbook = base64.b64encode(_workbook(DATA / f"{name}.csv")).decode("ascii")
        if kind == "survey":
            suggested = api(
                "POST",
                f"/organizations/{by_xlsx}/outcomes/suggestions",
                {"content_base64": workbook, "filename": f"{name}.xlsx"},
            )
            assert suggested.status_code == 200, suggested.text
            assert suggested.json()["mapping"]["nps"]
        from_xlsx = api(
            "POST",
            f"/organizations/{by_xlsx}/outcomes/imports",
            {"kind": kind, "content_base64": workbook, "filename": f"{name}.xlsx"},
        )
        assert from_xlsx.status_code == 201, from_xlsx.text
        assert from_xlsx.json()["tool"] == "xlsx" or kind == "survey"
        assert from_xlsx.json()["added"] == from_csv.json()["added"] > 0
    csv_summary = api("GET", f"/organizations/{by_csv}/outcomes/summary").json()
    xlsx_summary = api("GET", f"/organizations/{by_xlsx}/outcomes/summary").json()
    assert xlsx_summary["nps"] == csv_summary["nps"]
    assert api("GET", f"/organizations/{by_xlsx}/outcomes/asset?from=2025-01-01&to=2026-03-31").json()["customers"] > 0


def test_it_names_what_is_wrong_with_an_uploaded_file(site: Site, cast: Cast) -> None:
    api, org = Api(site, cast.facilitator), _org(site, cast)
    url = f"/organizations/{org}/outcomes/imports"
    for body, field in (
        ({"content_base64": "not base64!", "filename": "a.xlsx"}, "content_base64"),
        ({"content_base64": "aGVsbG8=", "filename": "a.xlsx"}, "content_base64"),  # "hello": not a workbook
    ):
        refused = api("POST", url, body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field
    both = api("POST", url, {"text": "a,b\n1,2\n", "content_base64": "YSxi", "filename": "a.csv"})
    assert both.status_code == 422
    assert "not both or neither" in str(both.json())
    assert api("GET", f"/organizations/{org}/outcomes/imports").json() == []


def test_a_workbook_with_an_unsaved_formula_is_refused_by_row_and_column_and_stores_nothing(
    site: Site, cast: Cast
) -> None:
    from openpyxl import Workbook

    api, org = Api(site, cast.facilitator), _org(site, cast)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["ResponseId", "NPS", "CSAT"], ["R_1", 9, 5], ["R_2", 7, "=2*2"], ["R_3", 3, 2]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    body = {"content_base64": base64.b64encode(out.getvalue()).decode(), "filename": "scripted.xlsx"}
    refused = api("POST", f"/organizations/{org}/outcomes/imports", body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["problems"] == [
        "scripted.xlsx:3 column 'CSAT': the formula =2*2 has no saved value (the file was written by a program that "
        "does not calculate); open and save it in a spreadsheet, or type the value"
    ]
    assert api("GET", f"/organizations/{org}/outcomes/summary").json()["responses"] == 0


def test_the_suggestion_says_which_sheet_of_a_workbook_it_read(site: Site, cast: Cast, tmp_path: Path) -> None:
    from tests.outcomes.test_sources import survey_workbook

    api, org = Api(site, cast.facilitator), _org(site, cast)
    workbook = base64.b64encode(survey_workbook(tmp_path / "export.xlsx", 3).read_bytes()).decode("ascii")
    body = {"content_base64": workbook, "filename": "export.xlsx"}
    suggested = api("POST", f"/organizations/{org}/outcomes/suggestions", body)
    assert suggested.status_code == 200, suggested.text
    found = suggested.json()
    assert (found["sheet"], found["sheets"]) == ("Responses", 3)
    assert found["sheet_read"] == "read the sheet 'Responses', the first of 3"
