"""The public quick evaluation, on SQLite and PostgreSQL: anyone answers one question per competency and sees a
stage per competency with its uncertainty; nothing is stored; each client address is limited."""

from __future__ import annotations

import html

import sqlalchemy as sa

from cxmaturity.frameworks import builtin_ids, load_builtin
from cxmaturity.frameworks.quick import quick_form
from tests.web.conftest import Cast, Site


def _answers(fid: str, stage: str) -> dict[str, str]:
    form = quick_form(load_builtin(fid)).framework
    return {f"answer:{ind.key}": stage for _, ind in form.indicators}


def test_anyone_sees_a_quick_form_of_one_question_per_competency(site: Site) -> None:
    client = site.client()
    assert all(f'href="/quick/{fid}"' in client.get("/quick").text for fid in builtin_ids())
    page = client.get("/quick/cx-core-competency")
    assert page.status_code == 200
    fw = load_builtin("cx-core-competency")
    text = html.unescape(page.text)
    assert f"{len(fw.competencies)} questions, one per competency" in text
    for comp in fw.competencies:
        rubric = next(i for i in comp.indicators if i.kind == "rubric")
        assert fw.text(rubric.text) in text
    assert page.headers["cache-control"] == "private, no-store"
    # The form posts back to the framework's own address (the quick form's id ends in -quick).
    assert 'action="/quick/cx-core-competency"' in page.text


def test_a_person_sees_a_stage_per_competency_with_its_uncertainty_and_nothing_is_stored(site: Site) -> None:
    with site.engine.connect() as conn:
        before = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("answer", "assessment")}
    client = site.client()
    result = client.submit(
        "/quick/yohn-cx-maturity", "/quick/yohn-cx-maturity", _answers("yohn-cx-maturity", "committing")
    )
    assert result.status_code == 200
    text = html.unescape(result.text)
    assert "A first look, with wide uncertainty." in text
    fw = load_builtin("yohn-cx-maturity")
    table = text[text.index('id="stages-heading"') : text.index("</table>")]
    assert table.count("<td>Committing</td>") == len(fw.competencies)
    assert "Organizational Readiness" in text  # its tracks
    assert "To reach Accelerating:" in text
    assert 'href="/quick/yohn-cx-maturity">Answer again' in result.text
    with site.engine.connect() as conn:
        after = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("answer", "assessment")}
    assert after == before


def test_it_asks_again_for_a_question_left_unanswered_or_an_answer_that_is_no_option(site: Site) -> None:
    client = site.client()
    answers = _answers("four-competencies", "aware")
    first = next(iter(answers))
    incomplete = {k: v for k, v in answers.items() if k != first}
    page = client.submit("/quick/four-competencies", "/quick/four-competencies", incomplete)
    assert page.status_code == 422
    assert "answer every question" in page.text
    assert "checked" in page.text  # the answers given are kept
    wrong = client.submit("/quick/four-competencies", "/quick/four-competencies", {**answers, first: "nonsense"})
    assert wrong.status_code == 422
    assert "choose one of the options" in wrong.text


def test_it_has_no_quick_form_for_an_unknown_framework(site: Site) -> None:
    assert site.client().get("/quick/no-such-model").status_code == 404


def test_each_client_address_may_score_a_limited_number(site: Site) -> None:
    client = site.client()
    answers = _answers("cx-core-competency", "shared")
    site.settings.quick_max_per_address = 1
    try:
        responses = [client.submit("/quick/cx-core-competency", "/quick/cx-core-competency", answers) for _ in range(2)]
    finally:
        site.settings.quick_max_per_address = 100_000
    refused = responses[-1]
    assert refused.status_code == 429
    assert "Too many quick evaluations from your network" in refused.text
    assert int(refused.headers["retry-after"]) > 0


def test_a_facilitator_runs_the_quick_evaluation_as_an_assessment_and_reads_pooled_results(
    site: Site, cast: Cast
) -> None:
    import secrets

    from cxmaturity.services import assessments, results
    from cxmaturity.services.access import Actor
    from cxmaturity.storage.database import transaction

    client = site.client(cast.facilitator)
    page = client.get(f"/orgs/{cast.org_a}/assessments/new?framework=quick%3Acx-core-competency")
    assert '<option value="quick:cx-core-competency" selected>' in page.text
    title = f"Quick look {secrets.token_hex(3)}"
    new = f"/orgs/{cast.org_a}/assessments/new"
    created = client.submit(new, new, {"title": title, "framework": "quick:cx-core-competency", "min_group_size": "3"})
    assert created.status_code == 303
    assessment_id = int(created.headers["location"].rsplit("/", 1)[1])
    form = quick_form(load_builtin("cx-core-competency")).framework
    with transaction(site.sessions) as db:
        assessment = assessments.get(db, Actor(cast.facilitator), assessment_id)
        assert (assessment.framework_id, len(assessments.framework_of(assessment).indicators)) == (
            "cx-core-competency-quick",
            6,
        )
        from cxmaturity.demo import demo_responses

        assessments.store_responses(db, assessment, demo_responses(form, groups=(("", 0.0, 4),)), {})
    with site.sessions() as db:
        scored = results.results(db, Actor(cast.viewer), assessment_id)
        assert scored.result.respondents == 4
        assert [c.key for c in scored.result.competencies] == [c.key for c in form.competencies]
