"""Customer outcome pages on both databases: upload -> preview -> mapping -> import, metrics with small segments
withheld, the scorecard and its downloads, and who may do what."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from cxmaturity.services import organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.support.site import Cast, Site

SURVEY = (
    "ResponseId,Date,Segment,How likely are you to recommend us?,How satisfied are you?,Support\n"
    + "".join(
        f"R{i},2026-0{1 + i % 3}-10,{'North' if i % 2 else 'South'},{i % 11},{1 + i % 5},{1 + i % 5}\n"
        for i in range(60)
    )
    + "T1,2026-01-11,Tiny,10,5,5\n"
)


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.facilitator), f"Outcomes pages {secrets.token_hex(3)}").id


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_it_uploads_previews_maps_and_imports_a_survey_then_shows_metrics(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    client = site.client(cast.facilitator)
    page = client.get(f"/orgs/{org}/outcomes")
    assert page.status_code == 200
    csrf = _csrf(page.text)
    preview = client.post(
        f"/orgs/{org}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("export.csv", SURVEY.encode(), "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert 'id="tool">csv<' in preview.text
    # The NPS question is suggested (selected) from its wording.
    assert re.search(
        r'<select id="map-nps"[^>]*>.*?value="How likely are you to recommend us\?" selected', preview.text, re.S
    )
    token = _hidden(preview.text, "token")
    done = client.post(
        f"/orgs/{org}/outcomes/import",
        data={
            "csrf_token": csrf,
            "token": token,
            "name": "export.csv",
            "response_id": "ResponseId",
            "submitted_at": "Date",
            "segment": "Segment",
            "nps": "How likely are you to recommend us?",
            "csat": "How satisfied are you?",
            "csat_scale": "5",
            "drivers": "Support",
            "save_as": "Quarterly survey",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = client.get(done.headers["location"])
    assert "61 responses (61 new, 0 replaced)" in shown.text
    assert 'id="table-nps"' in shown.text
    assert "Tiny" in shown.text  # the segment is named, its value withheld
    assert "withheld" in shown.text
    assert "Quarterly survey" in shown.text


def test_a_file_with_errors_imports_nothing_and_says_where(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    client = site.client(cast.facilitator)
    csrf = _csrf(client.get(f"/orgs/{org}/outcomes").text)
    bad = "ResponseId,Recommend\nA,9\nB,11\n"
    preview = client.post(
        f"/orgs/{org}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
    )
    token = _hidden(preview.text, "token")
    failed = client.post(
        f"/orgs/{org}/outcomes/import",
        data={"csrf_token": csrf, "token": token, "name": "bad.csv", "response_id": "ResponseId", "nps": "Recommend"},
    )
    assert failed.status_code == 422
    assert "bad.csv:3 column &#39;Recommend&#39;" in failed.text
    assert "No survey responses yet" in client.get(f"/orgs/{org}/outcomes").text


def test_viewers_read_but_cannot_import_and_outsiders_see_nothing(site: Site, cast: Cast) -> None:
    viewer = site.client(cast.viewer)
    assert viewer.get(f"/orgs/{cast.org_a}/outcomes").status_code == 200
    assert viewer.get(f"/orgs/{cast.org_a}/scorecard").status_code == 200
    csrf = _csrf(viewer.get(f"/orgs/{cast.org_a}/outcomes").text)
    refused = viewer.post(
        f"/orgs/{cast.org_a}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("x.csv", SURVEY.encode(), "text/csv")},
    )
    assert refused.status_code == 403
    outsider = site.client(cast.outsider)
    for path in ("outcomes", "scorecard", "scorecard.json", "outcomes/asset", "outcomes/drivers"):
        assert outsider.get(f"/orgs/{cast.org_a}/{path}").status_code == 404


def test_the_scorecard_downloads_hold_the_same_numbers(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    client = site.client(cast.facilitator)
    csrf = _csrf(client.get(f"/orgs/{org}/outcomes").text)
    preview = client.post(
        f"/orgs/{org}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("export.csv", SURVEY.encode(), "text/csv")},
    )
    client.post(
        f"/orgs/{org}/outcomes/import",
        data={
            "csrf_token": csrf,
            "token": _hidden(preview.text, "token"),
            "name": "export.csv",
            "response_id": "ResponseId",
            "submitted_at": "Date",
            "nps": "How likely are you to recommend us?",
        },
    )
    card = json.loads(client.get(f"/orgs/{org}/scorecard.json").content)
    assert card["format"] == "cxm-scorecard/1"
    nps = next(m for m in card["metrics"] if m["key"] == "nps")
    assert [p["period"] for p in nps["points"]] == ["2026-Q1"]
    assert nps["points"][0]["n"] == 61
    csv_text = client.get(f"/orgs/{org}/scorecard.csv").content.decode("utf-8-sig")
    assert f"outcome,nps,NPS,2026-Q1,{nps['points'][0]['value']}" in csv_text
    xlsx = client.get(f"/orgs/{org}/scorecard.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    page = client.get(f"/orgs/{org}/scorecard")
    assert 'id="scorecard-metrics"' in page.text


def test_the_report_has_a_customer_outcomes_section_once_the_organization_holds_outcomes(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    from cxmaturity.outcomes import ColumnMapping
    from cxmaturity.services import outcomes
    from tests.web.test_reports_pages import demo_assessment

    org, assessment = demo_assessment(site, cast, f"Outcomes report {secrets.token_hex(3)}")
    viewer = site.client(cast.viewer)
    before = viewer.get(f"/assessments/{assessment}/report.html").text
    assert 'id="outcomes"' not in before
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    mapping = ColumnMapping(response_id="ResponseId", submitted_at="Date", nps="How likely are you to recommend us?")
    outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, mapping)
    after = viewer.get(f"/assessments/{assessment}/report.html").text
    assert '<section id="outcomes"' in after
    assert "2026-Q1" in after


def test_an_owner_raises_the_minimum_segment_size_and_a_facilitator_cannot(site: Site, cast: Cast) -> None:
    org = _org(site, cast)  # the facilitator created it: owner there
    owner = site.client(cast.facilitator)
    csrf = _csrf(owner.get(f"/orgs/{org}/outcomes").text)
    done = owner.post(f"/orgs/{org}/outcomes/min-segment-size", data={"csrf_token": csrf, "size": "12"})
    assert done.status_code == 303
    assert (
        'id="min-segment-size" name="size" type="number" min="1" max="1000" value="12"'
        in owner.get(f"/orgs/{org}/outcomes").text
    )
    facilitator = site.client(cast.facilitator)
    csrf_a = _csrf(facilitator.get(f"/orgs/{cast.org_a}/outcomes").text)
    refused = facilitator.post(
        f"/orgs/{cast.org_a}/outcomes/min-segment-size", data={"csrf_token": csrf_a, "size": "2"}
    )
    assert refused.status_code == 403


def test_a_saved_mapping_fills_in_the_next_upload(site: Site, cast: Cast, tmp_path: Path) -> None:
    from cxmaturity.outcomes import ColumnMapping
    from cxmaturity.services import outcomes

    org = _org(site, cast)
    with transaction(site.sessions) as db:
        saved = outcomes.save_mapping(
            db, Actor(cast.facilitator), org, "Segments as CSAT", ColumnMapping(nps="Support", segment="ResponseId")
        )
        saved_id = saved.id
    client = site.client(cast.facilitator)
    csrf = _csrf(client.get(f"/orgs/{org}/outcomes").text)
    preview = client.post(
        f"/orgs/{org}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("export.csv", SURVEY.encode(), "text/csv")},
    )
    assert "Segments as CSAT" in preview.text
    filled = client.post(
        f"/orgs/{org}/outcomes/import",
        data={
            "csrf_token": csrf,
            "token": _hidden(preview.text, "token"),
            "name": "export.csv",
            "use_mapping": str(saved_id),
        },
    )
    assert filled.status_code == 200
    assert "The saved mapping is filled in." in filled.text
    assert re.search(r'<select id="map-nps"[^>]*>.*?value="Support" selected', filled.text, re.S)
    assert "No survey responses yet" in client.get(f"/orgs/{org}/outcomes").text  # nothing imported by filling in


def test_an_upload_waits_in_the_database_for_its_own_organization_only(site: Site, cast: Cast) -> None:
    org, other = _org(site, cast), _org(site, cast)
    client = site.client(cast.facilitator)
    csrf = _csrf(client.get(f"/orgs/{org}/outcomes").text)
    preview = client.post(
        f"/orgs/{org}/outcomes/upload",
        data={"csrf_token": csrf, "kind": "survey"},
        files={"file": ("../../etc/export.csv", SURVEY.encode(), "text/csv")},
    )
    token = _hidden(preview.text, "token")
    assert "Check the columns of export.csv" in preview.text
    # The same facilitator, through another organization's page: that organization holds no such upload.
    elsewhere = client.post(
        f"/orgs/{other}/outcomes/import", data={"csrf_token": csrf, "token": token, "nps": "Support"}
    )
    assert elsewhere.status_code == 404
    assert "no such upload" in elsewhere.text


def test_maturity_and_outcomes_are_charted_with_their_numbers_in_words(site: Site, cast: Cast, tmp_path: Path) -> None:
    """The scorecard page, the report and the slides chart maturity beside the outcome metrics, as images whose text
    alternative holds the numbers the tables show."""
    from cxmaturity.outcomes import ColumnMapping
    from cxmaturity.services import assessments, outcomes, scorecard
    from tests.reporting import pptx_tools
    from tests.web.test_reports_pages import demo_assessment

    org, assessment = demo_assessment(site, cast, f"Outcomes charts {secrets.token_hex(3)}")
    with transaction(site.sessions) as db:  # the scorecard charts assessments that are under way or closed
        assessments.set_status(db, Actor(cast.facilitator), assessment, "open")
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    mapping = ColumnMapping(response_id="ResponseId", submitted_at="Date", nps="How likely are you to recommend us?")
    outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, mapping)
    with site.sessions() as db:
        card = scorecard.scorecard(db, Actor(cast.viewer), org)
    nps = next(line for line in card.metrics if line.key == "nps").points[0]
    assert nps.value is not None
    assert nps.interval is not None
    nps_words = f"2026-Q1 {nps.value:.1f} (90% interval {nps.interval[0]:.1f} to {nps.interval[1]:.1f})"
    (point,) = card.maturity
    assert point.score is not None
    maturity_words = f"{point.period} {point.title}: {point.score:.2f}"

    viewer = site.client(cast.viewer)
    page = viewer.get(f"/orgs/{org}/scorecard").text
    for chart in ("chart-scorecard-maturity", "chart-scorecard-nps"):
        assert f'data-chart-image="{chart}"><svg role="img" aria-label="' in page
    assert nps_words in page
    assert maturity_words in page
    assert "<script" not in page.split("Maturity beside outcomes", 1)[1].split("</figure>", 1)[0]

    report = viewer.get(f"/assessments/{assessment}/report.html").text
    outcomes_section = report.split('<section id="outcomes"', 1)[1].split("</section>", 1)[0]
    assert 'data-chart="chart-scorecard-nps"><svg role="img"' in outcomes_section
    assert nps_words in outcomes_section

    slides = pptx_tools.read(viewer.get(f"/assessments/{assessment}/report.pptx").content)
    charted = next(s for s in slides if s.title == "Customer outcomes: NPS by quarter")
    (picture,) = charted.pictures
    assert picture.content_type == "image/png"
    assert nps_words in picture.alt


def test_the_preview_says_which_sheet_of_a_workbook_it_read(site: Site, cast: Cast, tmp_path: Path) -> None:
    from tests.outcomes.test_sources import survey_workbook

    org = _org(site, cast)
    client = site.client(cast.facilitator)
    csrf = _csrf(client.get(f"/orgs/{org}/outcomes").text)
    for sheets, shown in ((3, True), (1, False)):
        content = survey_workbook(tmp_path / f"export-{sheets}.xlsx", sheets).read_bytes()
        preview = client.post(
            f"/orgs/{org}/outcomes/upload",
            data={"csrf_token": csrf, "kind": "survey"},
            files={"file": ("export.xlsx", content, "application/octet-stream")},
        )
        assert preview.status_code == 200, preview.text
        said = "Read the sheet “Responses”, the first of 3: the other sheets are not imported."
        assert (said in preview.text) is shown
        assert ('id="sheet-read"' in preview.text) is shown
