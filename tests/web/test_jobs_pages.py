"""The long-job pages without a browser: a large import posted on the assessment's page goes to the queue and its
page refreshes itself (meta refresh, no script) until it shows the outcome; "prepare the PDF" alike. SYNTHETIC data
(tests/web/test_api.py ``answers_csv``)."""

from __future__ import annotations

import re
import time

from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import LongJob
from tests.queue.test_long_jobs import queued_imports
from tests.support.queue import drain
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site
from tests.web.test_api import answers_csv, api, new_assessment

REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')


def _until_finished(site: Site, client: WebClient, url: str) -> str:
    """Reload the page as a browser would on its meta refresh until it no longer asks to be refreshed."""
    if site.backend == "postgresql":
        drain(site)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = client.get(url)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        if not REFRESH.search(page.text):
            return page.text
        assert 'id="job-reload"' in page.text  # without the refresh (a reader that ignores it), a link does it
        time.sleep(0.1)
    raise AssertionError(f"{url} still refreshing after 2 minutes")


def test_a_large_import_shows_its_progress_and_then_its_outcome(site: Site, cast: Cast) -> None:
    aid = new_assessment(api(site, cast.facilitator), cast)["id"]
    client = site.client(cast.facilitator)
    with queued_imports(site):
        posted = client.submit(
            f"/assessments/{aid}",
            f"/assessments/{aid}/import",
            files={"file": ("big.csv", answers_csv(20).encode(), "text/csv")},
        )
    assert posted.status_code == 303
    url = posted.headers["location"]
    assert re.fullmatch(r"/jobs/\d+", url)
    text = _until_finished(site, client, url)
    assert 'data-state="done"' in text
    assert "Imported the answers of 20 respondents." in text


def test_a_queued_job_asks_to_be_refreshed_and_shows_where_it_stands(site: Site, cast: Cast) -> None:
    """A job as a worker leaves it midway (no worker runs it here): the page shows the count and refreshes."""
    aid = new_assessment(api(site, cast.facilitator), cast)["id"]
    with transaction(site.sessions) as db:
        job = LongJob(organization_id=cast.org_a, assessment_id=aid, kind="answers.import", state="running")
        job.done, job.total, job.params = 120, 400, {"filename": "big.csv"}
        db.add(job)
        db.flush()
        job_id = job.id
    client = site.client(cast.facilitator)
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert REFRESH.search(page.text)
    assert '<progress id="job-progress" max="400" value="120">30%</progress>' in page.text
    assert "120 / 400 respondents written" in page.text
    assert site.client(cast.outsider).get(f"/jobs/{job_id}").status_code == 404
    with transaction(site.sessions) as db:
        found = db.get(LongJob, job_id)
        assert found is not None
        db.delete(found)


def test_a_failed_import_page_names_the_row(site: Site, cast: Cast) -> None:
    aid = new_assessment(api(site, cast.facilitator), cast)["id"]
    client = site.client(cast.facilitator)
    lines = answers_csv(6).splitlines()
    cells = lines[3].split(",")
    cells[2] = "9"
    lines[3] = ",".join(cells)
    with queued_imports(site):
        posted = client.submit(
            f"/assessments/{aid}",
            f"/assessments/{aid}/import",
            files={"file": ("bad.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
        )
    text = _until_finished(site, client, posted.headers["location"])
    assert 'data-state="failed"' in text
    assert "the file has errors; nothing was imported" in text
    assert "bad.csv:4 column" in text


def test_the_results_page_prepares_a_report_in_the_background(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    assert facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(8)}).status_code == 201
    client = site.client(cast.viewer)
    results = f"/assessments/{aid}/results"
    assert 'id="prepare-pdf"' in client.get(results).text
    posted = client.submit(results, f"/assessments/{aid}/report-jobs", {"format": "html"})
    assert posted.status_code == 303
    url = posted.headers["location"]
    text = _until_finished(site, client, url)
    assert 'data-state="done"' in text
    download = client.get(f"{url}/report")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="report-')
