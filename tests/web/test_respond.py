"""Respondent pages: welcome, one page per competency, save and resume, finish; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets
import threading

from markupsafe import escape
from sqlalchemy import func, select

from cxmaturity.frameworks import Framework, Statement, load_builtin
from cxmaturity.frameworks.lint import estimated_minutes
from cxmaturity.services import assessments, respond
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Answer, Invitation
from cxmaturity.web import security
from tests.web.conftest import Cast, Site

FW = load_builtin("xm-six-competencies")
PAGE1 = FW.competencies[0]


def _invite(site: Site, cast: Cast, group: str | None = "Leadership", count: int = 1) -> list[str]:
    """New invitations to the cast's open assessment (so that no other test shares their state)."""
    with transaction(site.sessions) as db:
        group_id = cast.groups[group] if group else None
        return assessments.create_invitations(db, Actor(cast.facilitator), cast.assessment, group_id, count)


def _assessment(
    site: Site, cast: Cast, *, framework: str = "builtin:xm-six-competencies", open_it: bool = True
) -> tuple[int, list[str]]:
    """A new assessment of organization A (open unless told otherwise) with two invitations."""
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Respond test {secrets.token_hex(3)}", framework, min_group_size=4
        )
        if open_it:
            assessments.set_status(db, actor, assessment.id, "open")
        return assessment.id, assessments.create_invitations(db, actor, assessment.id, None, 2)


def _set_status(site: Site, cast: Cast, assessment_id: int, status: str) -> None:
    with transaction(site.sessions) as db:
        assessments.set_status(db, Actor(cast.facilitator), assessment_id, status)


def _rows(site: Site, token: str) -> list[tuple[str, str, int | None, str | None]]:
    """The invitation's saved answers as (indicator, option, importance, comment), in indicator order."""
    from cxmaturity.services.tokens import digest

    with site.sessions() as db:
        invitation_id = db.scalar(select(Invitation.id).where(Invitation.token_hash == digest(token)))
        rows = db.execute(
            select(Answer.indicator_key, Answer.option_key, Answer.importance, Answer.comment)
            .where(Answer.invitation_id == invitation_id)
            .order_by(Answer.indicator_key)
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _answer_count(site: Site) -> int:
    with site.sessions() as db:
        return db.scalar(select(func.count()).select_from(Answer)) or 0


def _form(site: Site, token: str, action: str = "next", **fields: str) -> dict[str, str]:
    return {"csrf_token": security.respondent_csrf(site.settings, token), "action": action, **fields}


def _first_options(fw: Framework, competency_index: int) -> dict[str, str]:
    """Answer every indicator of a page with its first option."""
    comp = fw.competencies[competency_index]
    return {f"answer:{i.key}": fw.answer_keys(i)[0] for i in comp.indicators}


def _checked(html: str, key: str) -> str | None:
    """The value of the checked radio button of indicator ``key``, if any."""
    for tag in re.findall(r"<input [^>]*>", html):
        if f'name="answer:{key}"' in tag and " checked" in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else None
    return None


def test_it_welcomes_the_respondent_with_who_asks_how_long_and_how_anonymous(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast, "Operations")
    response = site.client().get(f"/r/{token}")
    assert response.status_code == 200
    page = response.text
    assert "Organization A" in page
    assert "Leadership team 2026" in page
    minutes = max(1, round(estimated_minutes(FW)))
    assert f"It takes about <strong>{minutes} minutes</strong>" in page
    assert "Your answers are anonymous" in page
    assert "sees results only for groups of at least 3 people, never who answered what" in " ".join(page.split())
    assert "You answer as part of the group <strong>Operations</strong>" in page
    assert f'<a class="button" href="/r/{token}/p/1">Start</a>' in page
    assert "Continue where you left off" not in page
    assert '<html lang="en">' in page


def test_it_never_shows_the_facilitator_navigation_or_sets_a_cookie(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    client = site.client(cast.facilitator)
    for url in (f"/r/{token}", f"/r/{token}/p/1"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Sign out" not in response.text
        assert cast.emails["facilitator"] not in response.text
        assert "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "no-store"


def test_it_shows_every_option_including_dont_know_and_not_applicable(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    page = site.client().get(f"/r/{token}/p/1").text
    assert "Page 1 of 6" in page
    assert '<progress max="6" value="1"' in page
    assert str(escape(FW.text(PAGE1.name))) in page
    radios = re.findall(r'<input type="radio"[^>]*>', page)
    assert len(radios) == sum(len(FW.answer_keys(i)) + 2 for i in PAGE1.indicators)
    for ind in PAGE1.indicators:
        assert f"{escape(FW.text(ind.text))}</legend>" in page
        for key in (*FW.answer_keys(ind), "dk", "na"):
            assert f'name="answer:{ind.key}" value="{escape(key)}"' in page
        assert f'name="importance:{ind.key}"' in page
        assert f'name="comment:{ind.key}"' in page
        labels = (
            [FW.text(o.label) for o in FW.scales[ind.scale].options]
            if isinstance(ind, Statement)
            else [FW.text(o.text) for o in sorted(ind.options, key=lambda o: FW.stage_number(o.stage))]
        )
        positions = [page.index(str(escape(label))) for label in labels]
        assert positions == sorted(positions), f"options of {ind.key} are out of order"
    assert page.count(">Don't know</label>") == len(PAGE1.indicators)
    assert page.count(">Not applicable</label>") == len(PAGE1.indicators)
    assert page.count(">How important is this for us?") == len(PAGE1.indicators)
    assert '<button type="submit" name="action" value="next">Next</button>' in page


def test_it_saves_each_page_and_resumes_at_the_first_unsaved_page(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    first, second = PAGE1.indicators[0], PAGE1.indicators[-1]
    answers = {
        **_first_options(FW, 0),
        f"answer:{second.key}": "dk",
        f"importance:{first.key}": "4",
        f"comment:{first.key}": "Leaders talk about it, rarely act.",
    }
    response = site.client().post(f"/r/{token}/p/1", data=_form(site, token, **answers))
    assert response.status_code == 303
    assert response.headers["location"] == f"/r/{token}/p/2"
    saved = {key: (option, importance, comment) for key, option, importance, comment in _rows(site, token)}
    assert saved[first.key] == (FW.answer_keys(first)[0], 4, "Leaders talk about it, rarely act.")
    assert saved[second.key] == ("dk", None, None)
    assert len(saved) == len(PAGE1.indicators)

    later = site.client()  # the browser was closed: a new one opens the link again
    welcome = later.get(f"/r/{token}").text
    assert f'<a class="button" href="/r/{token}/p/2">Continue where you left off</a>' in welcome
    page = later.get(f"/r/{token}/p/1").text
    assert _checked(page, first.key) == FW.answer_keys(first)[0]
    assert _checked(page, second.key) == "dk"
    assert '<option value="4" selected>' in page
    assert "Leaders talk about it, rarely act.</textarea>" in page
    assert _checked(later.get(f"/r/{token}/p/2").text, FW.competencies[1].indicators[0].key) is None


def test_page_saves_run_on_their_own_small_thread_pool(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    response = site.client().post(f"/r/{token}/p/1", data=_form(site, token, **_first_options(FW, 0)))
    assert response.status_code == 303
    limiter = site.app.state.save_limiter
    assert limiter.total_tokens == site.settings.save_threads == 3
    assert limiter.borrowed_tokens == 0  # every save gave its thread back


def test_it_moves_back_and_saves_an_empty_page_as_seen(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    client = site.client()
    assert client.post(f"/r/{token}/p/1", data=_form(site, token)).status_code == 303
    response = client.post(f"/r/{token}/p/1", data=_form(site, token, "back"))
    assert response.headers["location"] == f"/r/{token}"
    response = client.post(f"/r/{token}/p/2", data=_form(site, token, "back"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/r/{token}/p/1"
    # Both pages were saved empty: resuming moves past them, and nothing counts as an answer.
    assert f'href="/r/{token}/p/3">Continue where you left off' in client.get(f"/r/{token}").text
    assert all(option == "" for _, option, _, _ in _rows(site, token))


def test_it_changes_nothing_when_a_page_is_submitted_twice(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    form = _form(site, token, **_first_options(FW, 0), **{f"comment:{PAGE1.indicators[0].key}": "twice"})
    client = site.client()
    assert client.post(f"/r/{token}/p/1", data=form).status_code == 303
    rows, count = _rows(site, token), _answer_count(site)
    second = client.post(f"/r/{token}/p/1", data=form)
    assert second.status_code == 303
    assert second.headers["location"] == f"/r/{token}/p/2"
    assert _rows(site, token) == rows
    assert _answer_count(site) == count


def test_it_saves_two_simultaneous_submits_of_a_page_once(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    data = respond.PageInput(answers={i.key: "dk" for i in PAGE1.indicators})
    outcome: list[str] = []

    def second_submit() -> None:
        with transaction(site.sessions) as db:
            respond.save_page(db, token, PAGE1.key, data)
        outcome.append("saved")

    with transaction(site.sessions) as db:
        respond.save_page(db, token, PAGE1.key, data)
        thread = threading.Thread(target=second_submit)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive(), "the second submit must wait for the first"
    thread.join(15)
    assert outcome == ["saved"]
    assert [option for _, option, _, _ in _rows(site, token)] == ["dk"] * len(PAGE1.indicators)


def test_it_refuses_an_answer_that_is_not_an_option_and_keeps_the_input(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    first, second = PAGE1.indicators[0], PAGE1.indicators[1]
    form = _form(
        site,
        token,
        **{
            f"answer:{first.key}": FW.answer_keys(first)[-1],
            f"answer:{second.key}": "bogus",
            f"comment:{first.key}": "kept <b>as typed</b>",
            f"importance:{first.key}": "2",
        },
    )
    response = site.client().post(f"/r/{token}/p/1", data=form)
    assert response.status_code == 422
    assert "Question 2: &#39;bogus&#39; is not an answer to this question." in response.text
    assert 'class="field-error" id="q2-error"' in response.text
    assert _checked(response.text, first.key) == FW.answer_keys(first)[-1]
    assert "kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in response.text
    assert '<option value="2" selected>' in response.text
    assert _rows(site, token) == []


def test_it_refuses_a_bad_importance(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    form = _form(site, token, **{f"importance:{PAGE1.indicators[2].key}": "9"})
    response = site.client().post(f"/r/{token}/p/1", data=form)
    assert response.status_code == 422
    assert "Question 3: importance is a number from 1 to 5." in response.text
    assert _rows(site, token) == []


def test_it_refuses_a_form_without_the_right_token(site: Site, cast: Cast) -> None:
    token, other = _invite(site, cast, count=2)
    client = site.client()
    answers = _first_options(FW, 0)
    assert client.post(f"/r/{token}/p/1", data={**answers, "action": "next"}).status_code == 403
    wrong = {**answers, "action": "next", "csrf_token": security.respondent_csrf(site.settings, other)}
    response = client.post(f"/r/{token}/p/1", data=wrong)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert _rows(site, token) == []


def test_it_keeps_saved_answers_when_the_assessment_closes(site: Site, cast: Cast) -> None:
    assessment_id, (token, _) = _assessment(site, cast)
    client = site.client()
    assert client.post(f"/r/{token}/p/1", data=_form(site, token, **_first_options(FW, 0))).status_code == 303
    saved = _rows(site, token)
    _set_status(site, cast, assessment_id, "closed")

    response = client.post(f"/r/{token}/p/2", data=_form(site, token, **_first_options(FW, 1)))
    assert response.status_code == 409
    assert "<h1>This assessment is closed</h1>" in response.text
    assert "The answers you saved before it closed are kept." in response.text
    assert _rows(site, token) == saved
    assert len(saved) == len(PAGE1.indicators)
    assert client.get(f"/r/{token}/p/1").status_code == 409
    welcome = client.get(f"/r/{token}")
    assert welcome.status_code == 200
    assert "This assessment is closed" in welcome.text
    assert "The answers you saved before it closed are kept." in welcome.text
    assert "Start" not in welcome.text
    finish = client.post(f"/r/{token}/p/6", data=_form(site, token, "finish"))
    assert finish.status_code == 409


def test_it_says_a_draft_is_not_open_yet(site: Site, cast: Cast) -> None:
    assessment_id, (token, _) = _assessment(site, cast, open_it=False)
    client = site.client()
    assert "This assessment is not open yet" in client.get(f"/r/{token}").text
    response = client.post(f"/r/{token}/p/1", data=_form(site, token, **_first_options(FW, 0)))
    assert response.status_code == 409
    assert "This assessment is not open yet" in response.text
    assert _rows(site, token) == []
    _set_status(site, cast, assessment_id, "open")
    assert client.get(f"/r/{token}").text.count("Start</a>") == 1


def test_it_finishes_and_then_says_already_submitted(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    client = site.client()
    assert client.get(f"/r/{token}/done").headers["location"] == f"/r/{token}"
    last = len(FW.competencies)
    page = client.get(f"/r/{token}/p/{last}").text
    assert f"Page {last} of {last}" in page
    assert '<button type="submit" name="action" value="finish">Finish</button>' in page
    response = client.post(f"/r/{token}/p/{last}", data=_form(site, token, "finish", **_first_options(FW, last - 1)))
    assert response.status_code == 303
    assert response.headers["location"] == f"/r/{token}/done"
    done = client.get(f"/r/{token}/done")
    assert done.status_code == 200
    assert "<h1>Thank you!</h1>" in done.text
    assert "have been submitted" in done.text

    welcome = client.get(f"/r/{token}").text
    assert "You have already submitted your answers" in welcome
    assert "Start</a>" not in welcome
    again = client.post(f"/r/{token}/p/1", data=_form(site, token, **_first_options(FW, 0)))
    assert again.status_code == 409
    assert "You have already submitted your answers" in again.text
    assert {key for key, *_ in _rows(site, token)} == {i.key for i in FW.competencies[-1].indicators}


def test_it_answers_an_unknown_link_politely(site: Site) -> None:
    client = site.client()
    for url in ("/r/not-a-real-token", "/r/not-a-real-token/p/1", "/r/not-a-real-token/done", "/r/" + "x" * 500):
        response = client.get(url)
        assert response.status_code == 404
        assert "<h1>This link does not work</h1>" in response.text
        assert "Check that you copied the whole link" in response.text
    response = client.post("/r/not-a-real-token/p/1", data=_form(site, "not-a-real-token"))
    assert response.status_code == 404


def test_it_has_no_page_beyond_the_last(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    client = site.client()
    for n in (0, 7):
        response = client.get(f"/r/{token}/p/{n}")
        assert response.status_code == 404
        assert f"there is no page {n}" in response.text
    assert client.post(f"/r/{token}/p/7", data=_form(site, token)).status_code == 404


def test_it_escapes_html_in_a_comment(site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    key = PAGE1.indicators[0].key
    form = _form(site, token, **{f"comment:{key}": '<script>alert("x")</script>'})
    client = site.client()
    assert client.post(f"/r/{token}/p/1", data=form).status_code == 303
    page = client.get(f"/r/{token}/p/1").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</textarea>" in page


GERMAN = """\
format: cx-maturity/framework@1
id: {id}
name: {{en: German test model, de: Deutsches Testmodell}}
version: "1.0"
source: Tests of the respondent pages.
language: de
stages:
  - {{key: s1, name: {{en: Emerging, de: Anfang}}}}
  - {{key: s2, name: {{en: Learning, de: Lernen}}}}
  - {{key: s3, name: {{en: Committing, de: Verankert}}}}
scales:
  agree:
    options:
      - {{key: "no", label: {{en: Disagree, de: Stimme nicht zu}}, value: 0.0}}
      - {{key: "yes", label: {{en: Agree, de: Stimme zu}}, value: 1.0}}
competencies:
  - key: listen
    name: {{en: Listening, de: Zuhören}}
    description: {{en: How we listen., de: Wie wir Kunden zuhören.}}
    indicators:
      - key: l-1
        kind: rubric
        text: {{en: How do you listen?, de: Wie hören Sie Kunden zu?}}
        options:
          - {{stage: s3, text: {{en: Everywhere, de: Auf jeder Reise}}}}
          - {{stage: s1, text: {{en: Complaints only, de: Nur Beschwerden}}}}
          - {{stage: s2, text: {{en: Some surveys, de: Einige Umfragen}}}}
      - key: l-2
        kind: statement
        text: {{en: We act within a week., de: Wir handeln binnen einer Woche.}}
        stage: s2
        scale: agree
      - key: l-3
        kind: statement
        text: {{en: Targets include CX., de: Ziele enthalten CX.}}
        stage: s3
        scale: agree
"""


def test_it_shows_a_german_framework_in_german_with_rubric_options_in_stage_order(site: Site, cast: Cast) -> None:
    text = GERMAN.format(id=f"de-test-{secrets.token_hex(3)}")
    with transaction(site.sessions) as db:
        uploaded = assessments.upload_framework(db, Actor(cast.facilitator), cast.org_a, "de.yaml", text)
        ref = f"uploaded:{uploaded.id}"
    _, (token, _) = _assessment(site, cast, framework=ref)
    client = site.client()
    welcome = client.get(f"/r/{token}").text
    assert '<html lang="de">' in welcome
    assert "Deutsches Testmodell" in welcome
    page = client.get(f"/r/{token}/p/1").text
    assert '<html lang="de">' in page
    assert "<h1>Zuhören</h1>" in page
    assert "Wie wir Kunden zuhören." in page
    assert "Wie hören Sie Kunden zu?</legend>" in page
    assert page.index("Nur Beschwerden") < page.index("Einige Umfragen") < page.index("Auf jeder Reise")
    assert page.count("Stimme nicht zu") == 2
    assert "Listening" not in page
    assert "Complaints only" not in page
    form = _form(site, token, "finish", **{"answer:l-1": "s2", "answer:l-2": "yes", "answer:l-3": "na"})
    assert client.post(f"/r/{token}/p/1", data=form).headers["location"] == f"/r/{token}/done"
    assert [(k, o) for k, o, _, _ in _rows(site, token)] == [("l-1", "s2"), ("l-2", "yes"), ("l-3", "na")]
