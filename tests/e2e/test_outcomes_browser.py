"""Customer outcomes in a real browser: upload a Google Forms export, check the preview and the suggested mapping,
change a column, import, read the metrics, then open the scorecard."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from cxmaturity.services import organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.e2e.conftest import screenshot
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser

DATA = Path(__file__).parents[1] / "data" / "outcomes"


def test_it_uploads_previews_maps_imports_and_shows_the_scorecard(
    site: Site, cast: Cast, live_url: str, page: Any
) -> None:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.facilitator), f"Browser outcomes {secrets.token_hex(3)}").id
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(cast.emails["facilitator"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_url}/orgs/{org}/outcomes")
    page.get_by_label("The file holds").select_option("survey")
    page.get_by_label("File (CSV or XLSX)").set_input_files(str(DATA / "google-forms.csv"))
    page.get_by_role("button", name="Upload and preview").click()
    assert page.locator("#tool").inner_text() == "google-forms"
    assert page.locator("#preview tbody tr").count() > 0
    nps = page.locator("#map-nps")
    assert nps.input_value() != ""  # suggested from the question's wording
    page.get_by_label("Save this mapping as").fill("Forms export")
    screenshot(page, "outcomes-preview")
    page.get_by_role("button", name="Import").click()
    assert "responses" in page.locator("p.notice").inner_text()
    assert page.locator("#table-nps").count() == 1
    page.get_by_role("link", name="Executive CX scorecard").first.click()
    assert page.locator("h1").inner_text().startswith("Executive CX scorecard")
    assert page.locator("#scorecard-metrics").count() == 1
    screenshot(page, "outcomes-scorecard")
