"""A quick evaluation published as a public link, on SQLite and PostgreSQL: anyone answers it without an invitation
and sees their own result; the answers are stored anonymously and join the facilitator's pooled results from the
minimum group size on; the link is withdrawn, rate limited and turned into a full assessment that says what it
carried and what it could not."""

from __future__ import annotations

import html
import re
import secrets

import pytest
import sqlalchemy as sa

from cxmaturity.frameworks import load_builtin
from cxmaturity.frameworks.quick import quick_form
from cxmaturity.i18n.phrase import english
from cxmaturity.services import assessments, quick_links, results
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import PUBLIC_LINK, Answer, Invitation
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site
from tests.web.test_api import V1, api, ok

FRAMEWORK = "cx-core-competency"
FORM = quick_form(load_builtin(FRAMEWORK)).framework


def _answers(stage_index: int = 2) -> dict[str, str]:
    return {f"answer:{ind.key}": FORM.answer_keys(ind)[stage_index] for _, ind in FORM.indicators}


def _quick_assessment(site: Site, cast: Cast, min_group_size: int = 3) -> int:
    with transaction(site.sessions) as db:
        created = assessments.create(
            db,
            Actor(cast.facilitator),
            cast.org_a,
            f"Quick look {secrets.token_hex(3)}",
            f"quick:{FRAMEWORK}",
            groups=["Leaders"],
            min_group_size=min_group_size,
        )
        db.flush()
        return created.id


def _publish(site: Site, cast: Cast, assessment_id: int) -> str:
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    published = facilitator.submit(page, f"{page}/quick-link")
    assert published.status_code == 303
    overview = facilitator.get(page)
    url = overview.text.split('id="quick-link-url" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert url.startswith("https://testserver/q/")
    return url.removeprefix("https://testserver")


def _answer(client: WebClient, link: str, stage_index: int = 2) -> str:
    response = client.submit(link, link, _answers(stage_index))
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def _words(page: str) -> str:
    """The page's text without tags, its whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split()).replace(" .", ".")


def _public_rows(site: Site, assessment_id: int) -> tuple[int, int]:
    with site.sessions() as db:
        invitations = db.scalars(
            sa.select(Invitation).where(Invitation.assessment_id == assessment_id, Invitation.source == PUBLIC_LINK)
        ).all()
        assert all(i.held and i.group_id is None for i in invitations)
        answers = db.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.assessment_id == assessment_id))
        return len(invitations), int(answers or 0)


def test_people_answer_a_published_link_anonymously_and_the_pool_waits_for_the_minimum(site: Site, cast: Cast) -> None:
    assessment_id = _quick_assessment(site, cast, min_group_size=3)
    link = _publish(site, cast, assessment_id)
    form = site.client().get(link)
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert "asks you for a quick evaluation" in text
    assert "no one's answers are shown until at least 3" in text
    assert form.headers["cache-control"] == "private, no-store"
    # Each person sees their own stage per competency with its uncertainty, what it looks like and how to advance.
    own = _answer(site.client(), link, 2)
    assert "A first look, with wide uncertainty." in own
    assert "Your answers were stored for" in own
    assert "To reach" in own
    _answer(site.client(), link, 1)
    assert _public_rows(site, assessment_id) == (2, 2 * len(FORM.indicators))
    with site.sessions() as db:
        # Two answers: fewer than the minimum group size, so no result shows them yet.
        assert results.results(db, Actor(cast.viewer), assessment_id).result.respondents == 0
    overview = _words(site.client(cast.facilitator).get(f"/assessments/{assessment_id}").text)
    assert "2 answers through the public link. The results wait for 1 more" in overview
    _answer(site.client(), link, 3)
    with site.sessions() as db:
        pooled = results.results(db, Actor(cast.viewer), assessment_id).result
    assert pooled.respondents == 3
    assert pooled.overall.interval is not None  # pooled like an assessment, with its uncertainty
    assert all(c.interval is not None for c in pooled.competencies)
    assert not pooled.groups  # held respondents never make a group visible
    page = _words(site.client(cast.facilitator).get(f"/assessments/{assessment_id}").text)
    assert "They are pooled in the results" in page


def test_bad_answers_store_nothing_and_a_withdrawn_or_unknown_link_is_not_found(site: Site, cast: Cast) -> None:
    assessment_id = _quick_assessment(site, cast)
    link = _publish(site, cast, assessment_id)
    client = site.client()
    answers = _answers()
    first = next(iter(answers))
    incomplete = client.submit(link, link, {k: v for k, v in answers.items() if k != first})
    assert incomplete.status_code == 422
    assert "answer every question" in incomplete.text
    wrong = client.submit(link, link, {**answers, first: "nonsense"})
    assert wrong.status_code == 422
    assert _public_rows(site, assessment_id) == (0, 0)
    assert site.client().get("/q/" + secrets.token_urlsafe(24)).status_code == 404
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    assert facilitator.submit(page, f"{page}/quick-link/withdraw").status_code == 303
    gone = site.client().get(link)
    assert gone.status_code == 404
    assert "no longer open" in gone.text


def test_answers_through_a_link_are_limited_per_client_address(site: Site, cast: Cast) -> None:
    assessment_id = _quick_assessment(site, cast)
    link = _publish(site, cast, assessment_id)
    client = site.client()
    site.settings.quick_max_per_address = 1
    try:
        responses = [client.submit(link, link, _answers()) for _ in range(2)]
    finally:
        site.settings.quick_max_per_address = 100_000
    assert responses[-1].status_code == 429
    assert int(responses[-1].headers["retry-after"]) > 0
    assert _public_rows(site, assessment_id)[0] <= 1


def test_only_a_quick_assessment_takes_a_public_link_and_only_facilitators_publish(site: Site, cast: Cast) -> None:
    facilitator, viewer = api(site, cast.facilitator), api(site, cast.viewer)
    refused = facilitator.put(f"/assessments/{cast.assessment}/quick-link")
    assert refused.status_code == 409
    assert "only a quick evaluation" in refused.json()["detail"]
    assessment_id = _quick_assessment(site, cast)
    assert viewer.put(f"/assessments/{assessment_id}/quick-link").status_code == 403
    assert api(site, cast.outsider).get(f"/assessments/{assessment_id}/quick-link").status_code == 404
    before = ok(facilitator.get(f"/assessments/{assessment_id}/quick-link"))
    assert before["published"] is False
    assert before["url"] is None
    published = ok(facilitator.put(f"/assessments/{assessment_id}/quick-link"))
    again = ok(facilitator.put(f"/assessments/{assessment_id}/quick-link"))
    assert published["url"] == again["url"]  # kept: publishing again gives the same link
    assert published["url"].startswith("https://testserver/q/")
    assert published["min_responses"] == 3
    with site.sessions() as db:
        assert assessments.get(db, Actor(cast.facilitator), assessment_id).status == "open"  # a draft is opened
    withdrawn = ok(facilitator.request("DELETE", f"/assessments/{assessment_id}/quick-link"))
    assert withdrawn["published"] is False
    assert V1 == "/api/v1"


@pytest.mark.parametrize("through", ["page", "api"])
def test_a_pooled_quick_evaluation_becomes_a_full_assessment_saying_what_was_carried(
    site: Site, cast: Cast, through: str
) -> None:
    assessment_id = _quick_assessment(site, cast, min_group_size=3)
    link = _publish(site, cast, assessment_id)
    for stage in (1, 2, 2):
        _answer(site.client(), link, stage)
    with transaction(site.sessions) as db:
        assessments.set_targets(db, Actor(cast.facilitator), assessment_id, {FORM.competencies[0].key: "embedded"})
    full_fw = load_builtin(FRAMEWORK)
    if through == "page":
        page = f"/assessments/{assessment_id}"
        client = site.client(cast.facilitator)
        posted = client.submit(page, f"{page}/full-assessment", {"title": "Full look", "carry_answers": "yes"})
        # Post, then redirect: the summary is a page of its own, so reloading it makes no second assessment.
        assert posted.status_code == 303, posted.text
        summary = posted.headers["location"]
        made = client.get(summary)
        assert made.status_code == 200, made.text
        assert client.get(summary).text == made.text
        with site.sessions() as db:
            mine = assessments.list_for_organization(db, Actor(cast.facilitator), cast.org_a)
            fulls = [a for a in mine if a.title == "Full look"]
        assert len(fulls) == 1
        text = " ".join(html.unescape(made.text).split())
        carried = text[text.index('id="carried"') : text.index('id="not-carried"')]
        new_id = int(text.split('href="/assessments/')[-1].split('"', 1)[0])
        assert summary == f"/assessments/{new_id}/from-quick"
    else:
        body = ok(
            api(site, cast.facilitator).post(f"/assessments/{assessment_id}/full-assessment", {"title": "Full look"}),
            201,
        )
        carried = " ".join(body["carried"])
        text = carried + " " + " ".join(body["not_carried"])
        new_id = body["assessment"]["id"]
        assert body["respondents_carried"] == 3
        assert body["assessment"]["framework"]["id"] == FRAMEWORK
        assert body["assessment"]["status"] == "draft"
    assert "the answers of 3 respondents" in carried
    assert "the respondent groups: Leaders" in carried
    assert "the targets of 1 competency" in carried
    assert "one question per competency" in text  # what a quick form cannot give
    with site.sessions() as db:
        full = assessments.get(db, Actor(cast.facilitator), new_id)
        assert full.framework_id == FRAMEWORK
        assert full.targets == {FORM.competencies[0].key: "embedded"}
        scored = results.results(db, Actor(cast.viewer), new_id).result
    assert scored.respondents == 3
    # Only the questions both forms share were answered: one rubric per competency of the full questionnaire.
    rubrics = {ind.key for _, ind in FORM.indicators}
    assert {i.key for i in scored.indicators if i.answered} == rubrics
    assert len(full_fw.indicators) > len(rubrics)


def test_too_few_answers_through_the_link_are_not_carried(site: Site, cast: Cast) -> None:
    assessment_id = _quick_assessment(site, cast, min_group_size=5)
    link = _publish(site, cast, assessment_id)
    _answer(site.client(), link)
    with transaction(site.sessions) as db:
        made = quick_links.to_full_assessment(db, Actor(cast.facilitator), assessment_id)
    assert made.respondents_carried == 0
    assert any("fewer than the minimum group size of 5" in english(line) for line in made.not_carried)


def test_anyone_holding_the_link_answers_it_through_the_api_without_a_token(site: Site, cast: Cast) -> None:
    assessment_id = _quick_assessment(site, cast, min_group_size=3)
    token = _publish(site, cast, assessment_id).removeprefix("/q/")
    anonymous = api(site, None)
    form = ok(anonymous.get(f"/quick-links/{token}"))
    assert form["framework_id"] == FRAMEWORK
    assert form["min_responses"] == 3
    assert [q["key"] for q in form["questions"]] == [ind.key for _, ind in FORM.indicators]
    answers = {q["key"]: q["options"][1]["key"] for q in form["questions"]}
    missing = anonymous.post(f"/quick-links/{token}/answers", {"answers": dict(list(answers.items())[1:])})
    assert missing.status_code == 422
    assert _public_rows(site, assessment_id) == (0, 0)
    own = ok(anonymous.post(f"/quick-links/{token}/answers", {"answers": answers}), 201)
    assert own["respondents"] == 1
    assert all(c["interval"] is not None for c in own["competencies"])
    assert _public_rows(site, assessment_id)[0] == 1
    assert anonymous.get(f"/quick-links/{secrets.token_urlsafe(24)}").status_code == 404
