"""A slides (PPTX) report job shows how far it got while it runs, on SQLite and PostgreSQL, through the PDF job's one
progress mechanism (services/long_jobs.py, services/cpu_pool.py): the results read, each unit scored, each chart
drawn ("Drawing chart 3 of 5"), each slide built, the file written; and the deck it ends with is in the language the
job was asked for. Data are SYNTHETIC (cxmaturity.demo ``demo_responses``)."""

from __future__ import annotations

import re

import pytest

from cxmaturity.services import long_jobs
from tests.queue.test_long_jobs import finished
from tests.queue.test_report_progress import STORES, _campaign, _watch
from tests.reporting import pptx_tools
from tests.web.conftest import Cast, Site
from tests.web.test_api import api, ok


def test_a_slides_job_reports_each_chart_and_slide_and_makes_a_german_deck(
    site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    aid = _campaign(site, cast)
    seen = _watch(site, cast, monkeypatch)
    viewer = api(site, cast.viewer)
    job = ok(viewer.post(f"/assessments/{aid}/report-jobs", {"format": "pptx", "language": "de"}), 202)
    done = finished(site, viewer, job["id"])
    assert done["state"] == "done", done
    shown = STORES + 1  # the company and its stores
    total = long_jobs.REPORT_STEPS + shown
    assert (done["done"], done["total"], done["stage"]) == (total, total, None)
    # The deck the job made, read back: its slides are what the job told, one by one.
    file = viewer.get(f"/jobs/{job['id']}/report")
    assert file.status_code == 200
    assert file.headers["content-type"] == pptx_tools.PPTX_TYPE
    slides = pptx_tools.read(file.content)
    pictures = sum(len(s.pictures) for s in slides)
    # Seen while it ran, in order: the results read, each unit, each chart (n of all), each slide, the file.
    assert all(s["state"] == "running" for s in seen), seen
    values = [s["done"] for s in seen]
    assert values == sorted(values), values
    assert (values[0], values[-1]) == (1, total - 1)
    steps = [s["stage"]["step"] for s in seen]
    assert steps == ["reading"] + ["unit"] * shown + ["chart"] * pictures + ["slide"] * len(slides) + ["writing"]
    charts = [(s["stage"]["n"], s["stage"]["of"]) for s in seen if s["stage"]["step"] == "chart"]
    assert charts == [(n, pictures) for n in range(1, pictures + 1)]
    assert pictures >= 2  # the radar and the heat map at least (this campaign has no saved plan)
    assert [s["stage"]["n"] for s in seen if s["stage"]["step"] == "slide"] == list(range(1, len(slides) + 1))
    assert {s["done"] for s in seen if s["stage"]["step"] == "chart"} == {1 + shown}
    assert {s["done"] for s in seen if s["stage"]["step"] == "slide"} == {2 + shown}
    # In the reader's language on the job page and in the API (German here, as the test's reader).
    labels = [s["de"] for s in seen]
    assert f"Diagramm 2 von {pictures} wird gezeichnet" in labels
    assert "Folie 3 wird erstellt" in labels
    assert labels[-1] == "Die Datei wird geschrieben"
    # The deck is German: its titles, the units' slide and numbers with a decimal comma.
    titles = pptx_tools.titles(slides)
    assert "Zusammenfassung für die Geschäftsleitung" in titles, titles
    assert any(t.startswith("Einheiten: ") for t in titles), titles
    text = "\n".join(s.all_text for s in slides)
    assert re.search(r"\d,\d\d", text)
    assert not re.search(r"(?<![\d.])(?<!Version )\d\.\d\d(?![\d.])", text)


def test_the_api_says_which_chart_or_slide_a_slides_job_is_at(site: Site, cast: Cast) -> None:
    """The job's stage as a worker leaves it midway, in the request's language (no worker runs it here); and the
    deck downloaded at once, in the language asked for."""
    from cxmaturity.services import assessments
    from cxmaturity.services.access import Actor
    from cxmaturity.storage.database import transaction
    from cxmaturity.storage.tables import LongJob

    aid = _campaign(site, cast)
    ids = []
    with transaction(site.sessions) as db:
        assessment = assessments.get(db, Actor(cast.viewer), aid)
        for stage in ({"step": "chart", "n": 2, "of": 5}, {"step": "slide", "n": 7}):
            job = LongJob(organization_id=assessment.organization_id, assessment_id=aid, kind="report", state="running")
            job.done, job.total, job.params = 15, 4 + STORES + 1, {"format": "pptx", "paper": "a4", "language": "fr"}
            job.stage = stage
            db.add(job)
            db.flush()
            ids.append(job.id)
    viewer = api(site, cast.viewer)
    french = {**viewer.headers, "Accept-Language": "fr"}
    chart = ok(viewer.client.get(f"/api/v1/jobs/{ids[0]}", headers=french))
    assert chart["stage"] == {"step": "chart", "n": 2, "of": 5, "label": "Dessin du graphique 2 sur 5"}
    slide = ok(viewer.client.get(f"/api/v1/jobs/{ids[1]}", headers=french))
    assert slide["stage"] == {"step": "slide", "n": 7, "of": None, "label": "Création de la diapositive 7"}
    assert ok(viewer.get(f"/jobs/{ids[1]}"))["stage"]["label"] == "Building slide 7"
    page = site.client(cast.viewer).get(f"/jobs/{ids[0]}?lang=es")
    assert page.status_code == 200
    assert "Dibujando el gráfico 2 de 5" in page.text
    # The deck downloaded at once follows ``?lang=`` as the PDF does (web/pages/reports.py), and the browser's language.
    reader = site.client(cast.viewer)
    french_deck = pptx_tools.read(reader.get(f"/assessments/{aid}/report.pptx?lang=fr").content)
    assert "Synthèse pour la direction" in pptx_tools.titles(french_deck)
    spanish = reader.get(f"/assessments/{aid}/report.pptx", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert "Resumen ejecutivo" in pptx_tools.titles(pptx_tools.read(spanish.content))
    with transaction(site.sessions) as db:
        for job_id in ids:
            found = db.get(LongJob, job_id)
            assert found is not None
            db.delete(found)
