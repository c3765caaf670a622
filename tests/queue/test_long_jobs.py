"""Long jobs (services/long_jobs.py) on both databases: a large answers import and a report file done by the queue,
their progress, failures naming the row, all or nothing after a failure midway, and isolation between organizations.
Data are SYNTHETIC (tests/web/test_api.py ``answers_csv``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from cxmaturity.services import imports, long_jobs
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Invitation, LongJob
from tests.support.queue import drain
from tests.web.conftest import Cast, Site
from tests.web.test_api import Api, answers_csv, api, new_assessment, ok


@contextmanager
def queued_imports(site: Site) -> Iterator[None]:
    """Every answers file goes to the job queue for the block (CXM_IMPORT_JOB_BYTES=0)."""
    saved = site.settings.import_job_bytes
    site.settings.import_job_bytes = 0
    try:
        yield
    finally:
        site.settings.import_job_bytes = saved


def finished(site: Site, client: Api, job_id: int) -> dict[str, Any]:
    """Run the queue as a worker would and return the job once it is done or failed."""
    if site.backend == "postgresql":
        drain(site)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = ok(client.get(f"/jobs/{job_id}"))
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def respondents(site: Site, assessment_id: int) -> int:
    with site.sessions() as db:
        return int(
            db.scalar(select(func.count()).select_from(Invitation).where(Invitation.assessment_id == assessment_id))
            or 0
        )


def test_a_large_import_runs_as_a_job_with_progress(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    with queued_imports(site):
        response = facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(30)})
    job = ok(response, 202)
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["assessment_id"]) == ("answers.import", aid)
    assert job["state"] in ("queued", "running", "done")
    done = finished(site, facilitator, job["id"])
    assert done["state"] == "done", done
    assert done["result"] == {"imported": 30}
    assert (done["done"], done["total"]) == (30, 30)
    assert done["error"] is None
    assert done["finished_at"] is not None
    assert respondents(site, aid) == 30
    # The file is not kept once the job ended.
    with site.sessions() as db:
        assert db.scalar(select(LongJob.input).where(LongJob.id == job["id"])) is None


def test_a_file_imported_by_a_job_is_refused_before_it_is_queued_again(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    text = answers_csv(12)
    with queued_imports(site):
        job = ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": text}), 202)
        assert finished(site, facilitator, job["id"])["state"] == "done"
        refused = facilitator.post(f"/assessments/{aid}/answers/import", {"text": text})
        assert refused.status_code == 409
        assert "holds the same answers as a file imported into" in refused.json()["detail"]
        with site.sessions() as db:
            assert db.scalar(select(func.count()).select_from(LongJob).where(LongJob.assessment_id == aid)) == 1
        body = {"text": text, "allow_duplicate": True}
        again = ok(facilitator.post(f"/assessments/{aid}/answers/import", body), 202)
        assert finished(site, facilitator, again["id"])["result"] == {"imported": 12}
    assert respondents(site, aid) == 24


def test_a_failed_import_job_names_the_row_and_column_and_imports_nothing(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    lines = answers_csv(12).splitlines()
    first = lines[0].split(",")[2]
    cells = lines[7].split(",")
    cells[2] = "9"  # no such option
    lines[7] = ",".join(cells)
    with queued_imports(site):
        job = ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": "\n".join(lines) + "\n"}), 202)
    failed = finished(site, facilitator, job["id"])
    assert failed["state"] == "failed"
    assert failed["result"] is None
    assert failed["error"]["message"] == "the file has errors; nothing was imported"
    assert any(d.startswith(f"answers.csv:8 column '{first}'") for d in failed["error"]["details"]), failed
    assert respondents(site, aid) == 0


def test_an_import_job_that_fails_midway_leaves_nothing(
    site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closed by the facilitator while its batches are written: every batch written so far is deleted again."""
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    # Several batches for a small file, on either database.
    monkeypatch.setattr(imports, "BATCH_ANSWERS", 100)
    monkeypatch.setattr(imports, "BATCH_ANSWERS_POSTGRESQL", 100)
    recorded = long_jobs._progress
    seen: list[tuple[int, int]] = []

    def progress_then_close(sessions: Any, job: LongJob, done: int, total: int) -> None:
        recorded(sessions, job, done, total)
        seen.append((done, total))
        if len(seen) == 2:  # after the first batch is written: the assessment is closed by someone else
            with transaction(site.sessions) as db:
                found = db.get(Assessment, aid)
                assert found is not None
                found.status = "closed"

    monkeypatch.setattr(long_jobs, "_progress", progress_then_close)
    with queued_imports(site):
        job = ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(40)}), 202)
    failed = finished(site, facilitator, job["id"])
    assert failed["state"] == "failed", failed
    assert failed["error"]["message"] == "the assessment was closed during the import; nothing was imported"
    assert len(seen) > 2
    assert 0 < seen[1][0] < 40
    assert respondents(site, aid) == 0


def test_only_members_of_the_jobs_organization_see_it(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    with queued_imports(site):
        job = ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(4)}), 202)
    finished(site, facilitator, job["id"])
    outsider = api(site, cast.outsider)
    assert outsider.get(f"/jobs/{job['id']}").status_code == 404
    assert outsider.get(f"/jobs/{job['id'] + 100000}").status_code == 404
    # A viewer of the same organization may not import, so does not see an import's job either.
    assert api(site, cast.viewer).get(f"/jobs/{job['id']}").status_code == 403
    # Pages alike.
    assert site.client(cast.outsider).get(f"/jobs/{job['id']}").status_code == 404


def test_a_report_job_makes_a_file_members_can_download(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(8)}), 201)
    viewer = api(site, cast.viewer)
    job = ok(viewer.post(f"/assessments/{aid}/report-jobs", {"format": "html"}), 202)
    assert (job["kind"], job["total"], job["file_url"]) == ("report", long_jobs.REPORT_STEPS, None)
    assert viewer.get(f"/jobs/{job['id']}/report").status_code in (409, 200)
    done = finished(site, viewer, job["id"])
    assert done["state"] == "done", done
    assert done["done"] == done["total"] == long_jobs.REPORT_STEPS
    assert done["file_url"] == f"/api/v1/jobs/{job['id']}/report"
    file = viewer.get(f"/jobs/{job['id']}/report")
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("text/html")
    assert file.headers["content-disposition"].startswith('attachment; filename="report-')
    assert len(file.content) == done["result"]["bytes"] > 10_000
    assert api(site, cast.outsider).get(f"/jobs/{job['id']}/report").status_code == 404
    assert api(site, cast.outsider).post(f"/assessments/{aid}/report-jobs", {"format": "pdf"}).status_code == 404


def test_the_in_process_queue_takes_long_jobs_again_after_its_app_restarted(site: Site, cast: Cast) -> None:
    # An app's lifespan closes its queue when it stops; a restarted app (a test client, a reloaded server) must get
    # working long-job threads back rather than "cannot schedule new futures after shutdown".
    site.app.state.jobs.close()
    site.app.state.jobs.start()
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    with queued_imports(site):
        response = facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(5)})
    job = finished(site, facilitator, ok(response, 202)["id"])
    assert job["state"] == "done", job
    assert job["result"] == {"imported": 5}
