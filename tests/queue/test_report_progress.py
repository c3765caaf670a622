"""A report job over a campaign of many units shows how far it got while it runs, on SQLite and PostgreSQL: each unit
scored, the charts, the pages laid out, the file written (services/long_jobs.py, services/cpu_pool.py), and it ends
with a PDF that names every unit; a render whose child process is killed midway fails the job with a clear reason and
says where it stopped. Data are SYNTHETIC (cxmaturity.demo ``demo_responses``)."""

from __future__ import annotations

import os
import re
import secrets
import signal
from pathlib import Path
from typing import Any

import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.i18n import use_locale
from cxmaturity.i18n.phrase import translated
from cxmaturity.services import assessments, campaigns, cpu_pool, long_jobs, organizations, reports, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import LongJob, Membership
from tests.queue.test_long_jobs import finished
from tests.reporting import pdf_tools
from tests.web.conftest import Cast, Site
from tests.web.test_api import api, ok

STORES = 12
PEOPLE = 6  # per store: above the minimum group size, so that every store is shown


def _campaign(site: Site, cast: Cast) -> int:
    """A SYNTHETIC company of 12 stores, each answered by 6 respondents; return the campaign's assessment id."""
    actor = Actor(cast.owner)
    with transaction(site.sessions) as db:
        org = organizations.create(db, actor, f"SYNTHETIC stores {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        top = units.create(db, actor, org.id, "Company")
        stores = [units.create(db, actor, org.id, f"Store {n:02d}", top.id).id for n in range(1, STORES + 1)]
        created = assessments.create(db, actor, org.id, "SYNTHETIC store survey", "builtin:four-competencies")
        db.flush()
        campaigns.set_units(db, actor, created.id, dict.fromkeys(stores))
        fw = assessments.framework_of(created)
        for n, store in enumerate(stores):
            responses = demo_responses(fw, seed=100 + n, groups=(("", 0.0, PEOPLE),))
            assessments.store_responses(db, created, responses, {}, "link", held=False, unit_id=store)
        return created.id


def _watch(site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch, then: Any = None) -> list[dict[str, Any]]:
    """Record the job as members see it (the service the page and API call, in a session of its own) right after
    each progress write, while the child process is still at work; ``then(job)`` after each."""
    monkeypatch.setattr(long_jobs, "PROGRESS_SECONDS", 0.0)  # every unit written, however fast the machine
    write = long_jobs._progress
    seen: list[dict[str, Any]] = []

    def watched(sessions: Any, job: LongJob, done: int, total: int, stage: dict[str, Any] | None = None) -> None:
        write(sessions, job, done, total, stage)
        with site.sessions() as db:
            view = long_jobs.get(db, Actor(cast.viewer), job.id)
        with use_locale("de"):
            german = translated(view.stage_text) if view.stage_text else None
        seen.append({"state": view.state, "done": view.done, "total": view.total, "stage": view.stage, "de": german})
        if then is not None:
            then(view)

    monkeypatch.setattr(long_jobs, "_progress", watched)
    return seen


def test_a_report_job_over_many_units_shows_each_unit_as_it_goes(
    site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    aid = _campaign(site, cast)
    seen = _watch(site, cast, monkeypatch)
    viewer = api(site, cast.viewer)
    job = ok(viewer.post(f"/assessments/{aid}/report-jobs", {"format": "pdf"}), 202)
    assert (job["total"], job["stage"]) == (long_jobs.REPORT_STEPS, None)
    done = finished(site, viewer, job["id"])
    assert done["state"] == "done", done
    shown = STORES + 1  # the company and its stores
    total = long_jobs.REPORT_STEPS + shown
    assert (done["done"], done["total"], done["stage"]) == (total, total, None)
    # Seen while it ran: each unit in turn (one step each), then the charts, the pages as they are laid out (one
    # step, its page number moving on) and the file.
    assert all(s["state"] == "running" for s in seen), seen
    assert all(s["total"] == total for s in seen), seen
    values = [s["done"] for s in seen]
    assert values == sorted(values), values
    assert (values[0], values[-1]) == (1, total - 1)
    units_seen = [s["stage"]["n"] for s in seen if s["stage"]["step"] == "unit"]
    assert units_seen == list(range(1, shown + 1))
    assert [s["done"] for s in seen if s["stage"]["step"] == "unit"] == list(range(2, shown + 2))
    pages_seen = [s["stage"]["n"] for s in seen if s["stage"]["step"] == "page"]
    assert pages_seen == list(range(1, len(pages_seen) + 1)), pages_seen
    steps = [s["stage"]["step"] for s in seen]
    assert steps == ["reading"] + ["unit"] * shown + ["charts"] + ["page"] * len(pages_seen) + ["writing"]
    assert f"Einheit 7 von {shown} wird bewertet" in [s["de"] for s in seen]
    # The file: a PDF naming every store, its contents list and page numbers as a single rendering makes them.
    file = viewer.get(f"/jobs/{job['id']}/report")
    assert file.status_code == 200
    assert file.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(file.content)
    pages = pdf_tools.info(pdf).pages
    text = pdf_tools.text(pdf)
    for n in range(1, STORES + 1):
        assert f"Store {n:02d}" in text
    assert f"Page {pages} of {pages}" in text
    assert len(pages_seen) == pages
    # The same document, page for page, as the report made in one step (the download's way: model, then render).
    with site.sessions() as db:
        model = reports.report(db, Actor(cast.viewer), aid, site.settings.benchmark_min_cohort)
    direct = tmp_path / "direct.pdf"
    direct.write_bytes(reports.render(model, "pdf").content)
    assert pdf_tools.info(direct).pages == pages
    made_at = re.compile(r"\d\d:\d\d UTC")  # the minute each was made at (in the methodology) may differ
    assert made_at.sub("HH:MM UTC", pdf_tools.text(direct)) == made_at.sub("HH:MM UTC", text)


def test_the_api_and_page_show_where_a_report_job_is_in_the_readers_language(site: Site, cast: Cast) -> None:
    """A report job as a worker leaves it midway (no worker runs it here)."""
    aid = _campaign(site, cast)
    with transaction(site.sessions) as db:
        assessment = assessments.get(db, Actor(cast.viewer), aid)
        job = LongJob(organization_id=assessment.organization_id, assessment_id=aid, kind="report", state="running")
        job.done, job.total, job.params = 8, 4 + STORES + 1, {"format": "pdf", "paper": "a4", "language": None}
        job.stage = {"step": "unit", "n": 7, "of": STORES + 1}
        db.add(job)
        db.flush()
        job_id = job.id
    viewer = api(site, cast.viewer)
    found = ok(viewer.client.get(f"/api/v1/jobs/{job_id}", headers={**viewer.headers, "Accept-Language": "fr-CH,fr"}))
    assert found["stage"] == {"step": "unit", "n": 7, "of": 13, "label": "Calcul de l'unité 7 sur 13"}
    assert ok(viewer.get(f"/jobs/{job_id}"))["stage"]["label"] == "Scoring unit 7 of 13"
    page = site.client(cast.viewer).get(f"/jobs/{job_id}?lang=es")
    assert page.status_code == 200
    assert '<progress id="job-progress" max="17" value="8">' in page.text
    assert "Puntuando la unidad 7 de 13" in page.text
    with transaction(site.sessions) as db:
        found_job = db.get(LongJob, job_id)
        assert found_job is not None
        db.delete(found_job)


def test_a_report_job_whose_render_is_killed_fails_and_says_where(
    site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    aid = _campaign(site, cast)
    killed: list[int] = []

    def kill_at_unit_5(view: long_jobs.JobView) -> None:
        if view.stage == {"step": "unit", "n": 5, "of": STORES + 1} and not killed:
            for pid in cpu_pool.working():  # the child drawing this report (tests run one at a time)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    seen = _watch(site, cast, monkeypatch, kill_at_unit_5)
    viewer = api(site, cast.viewer)
    job = ok(viewer.post(f"/assessments/{aid}/report-jobs", {"format": "pdf"}), 202)
    failed = finished(site, viewer, job["id"])
    assert killed, seen
    assert failed["state"] == "failed", failed
    assert failed["error"]["message"] == "the work stopped midway (the server ran short of memory?); nothing was made"
    assert failed["file_url"] is None
    # Where it stopped stays on the job: the fifth unit (or a later one the child told before it died).
    assert failed["stage"]["step"] == "unit", failed
    assert failed["stage"]["n"] >= 5, failed
    page = site.client(cast.viewer).get(f"/jobs/{job['id']}?lang=de")
    assert 'data-state="failed"' in page.text
    assert "Angehalten bei: Einheit" in page.text
    assert viewer.get(f"/jobs/{job['id']}/report").status_code == 409
    # The pool starts fresh children: the next report job is done.
    again = ok(viewer.post(f"/assessments/{aid}/report-jobs", {"format": "html"}), 202)
    assert finished(site, viewer, again["id"])["state"] == "done"
