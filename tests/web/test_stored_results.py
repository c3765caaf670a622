"""Stored results: computed once per change of the answers, reused by every view, never stale (SQLite and
PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring.serialize import result_to_dict
from cxmaturity.services import assessments, imports, respond, results, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.respond import PageInput
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, StoredResult
from tests.support.values import known
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import Filled, fill

FW = load_builtin("xm-six-competencies")


def _row(site: Site, assessment_id: int) -> tuple[int, str, datetime] | None:
    with site.sessions() as db:
        found = db.execute(
            sa.select(StoredResult.revision, StoredResult.method, StoredResult.computed_at).where(
                StoredResult.assessment_id == assessment_id
            )
        ).one_or_none()
    return None if found is None else (found.revision, found.method, found.computed_at)


def _revision(site: Site, assessment_id: int) -> int:
    with site.sessions() as db:
        return revisions.current(db, assessment_id)


def _view(site: Site, cast: Cast, assessment_id: int) -> results.AssessmentResults:
    """Look at the results as the page does, in a committed transaction."""
    with transaction(site.sessions) as db:
        return results.results(db, Actor(cast.viewer), assessment_id)


def _assert_current(site: Site, cast: Cast, assessment_id: int) -> results.AssessmentResults:
    """The results served equal the answers scored afresh, and the stored row is the current revision's."""
    seen = _view(site, cast, assessment_id)
    with site.sessions() as db:
        fresh = results.score_now(db, db.get_one(Assessment, assessment_id), bootstrap=results.BOOTSTRAP)
    assert seen.result == fresh.result
    assert seen.comments == fresh.comments
    row = _row(site, assessment_id)
    assert row is not None
    assert row[:2] == (_revision(site, assessment_id), results.METHOD)
    return seen


def _save(site: Site, token: str, level: int) -> None:
    """A respondent saves the first page again, every answer at option ``level``."""
    comp = FW.competencies[0]
    page = PageInput(answers={ind.key: FW.answer_keys(ind)[level] for ind in comp.indicators})
    with transaction(site.sessions) as db:
        respond.save_page(db, token, comp.key, page)


def _new_respondent(site: Site, cast: Cast, assessment_id: int) -> str:
    with transaction(site.sessions) as db:
        (token,) = assessments.create_invitations(db, Actor(cast.facilitator), assessment_id, None, 1)
    return token


@pytest.fixture
def team(site: Site, cast: Cast) -> Filled:
    return fill(site, cast, {"North": (3, 0.7), "South": (3, 0.3)}, comments={"North": "Good start."})


def test_it_stores_the_result_on_the_first_view_and_reuses_it(site: Site, cast: Cast, team: Filled) -> None:
    assert _row(site, team.id) is None  # answering stores nothing: a page save only moves the revision
    first = _assert_current(site, cast, team.id)
    stored = _row(site, team.id)
    viewer = site.client(cast.viewer)
    page = viewer.get(f"/assessments/{team.id}/results")
    data = viewer.get(f"/assessments/{team.id}/results.json").json()
    assert page.status_code == 200
    assert _row(site, team.id) == stored  # not computed again: same revision, same time
    assert data == result_to_dict(first.result)
    assert first.comments[0].text == "Good start."


def test_a_respondent_s_page_save_makes_the_next_view_score_again(site: Site, cast: Cast, team: Filled) -> None:
    before = _assert_current(site, cast, team.id)
    revision = _revision(site, team.id)
    _save(site, _new_respondent(site, cast, team.id), -1)
    assert _revision(site, team.id) == revision + 1
    after = _assert_current(site, cast, team.id)
    assert after.result != before.result
    assert known(after.result.competencies[0].score) > known(before.result.competencies[0].score)


def test_finishing_an_import_targets_and_groups_each_move_the_revision(site: Site, cast: Cast, team: Filled) -> None:
    facilitator = Actor(cast.facilitator)
    late = _new_respondent(site, cast, team.id)
    _save(site, late, 1)
    _assert_current(site, cast, team.id)
    steps: list[tuple[str, Any]] = [
        ("finish", lambda db: respond.finish(db, late)),
        ("targets", lambda db: assessments.set_targets(db, facilitator, team.id, {"lead": "embed"})),
        ("groups", lambda db: assessments.add_groups(db, facilitator, team.id, ["West"])),
        ("import", None),
    ]
    for name, step in steps:
        revision = _revision(site, team.id)
        if step is None:  # an import opens its own transactions
            imports.import_answers(site.sessions, facilitator, team.id, "a.csv", CSV)
        else:
            with transaction(site.sessions) as db:
                step(db)
        assert _revision(site, team.id) == revision + 1, name
        seen = _assert_current(site, cast, team.id)
    assert seen.result.respondents == 9
    assert seen.result.options.targets == {"lead": "embed"}


#: Two respondents in the wide CSV form, every answer the lowest option.
CSV = "".join(
    ",".join(cells) + "\n"
    for cells in [
        ["respondent", *FW.indicator_keys],
        *([f"imported-{r}", *(FW.answer_keys(ind)[0] for _, ind in FW.indicators)] for r in range(2)),
    ]
)


def test_a_settings_change_that_skipped_the_revision_is_still_never_served(
    site: Site, cast: Cast, team: Filled
) -> None:
    before = _assert_current(site, cast, team.id)
    assert len(before.result.groups) == 2
    # Written behind the services' back (as an operator's SQL would be): the revision does not move.
    with transaction(site.sessions) as db:
        db.execute(sa.update(Assessment).where(Assessment.id == team.id).values(min_group_size=4))
    after = _assert_current(site, cast, team.id)
    assert after.result.options.min_group_size == 4
    assert after.result.groups == ()


def test_a_result_of_another_scoring_method_is_scored_again(site: Site, cast: Cast, team: Filled) -> None:
    _assert_current(site, cast, team.id)
    with transaction(site.sessions) as db:
        db.execute(sa.update(StoredResult).where(StoredResult.assessment_id == team.id).values(method="0-old"))
    _assert_current(site, cast, team.id)


def test_closing_stores_the_result_at_once(site: Site, cast: Cast, team: Filled) -> None:
    _save(site, _new_respondent(site, cast, team.id), 0)
    with transaction(site.sessions) as db:
        assessments.set_status(db, Actor(cast.facilitator), team.id, "closed")
    stored = _row(site, team.id)
    assert stored is not None
    assert stored[:2] == (_revision(site, team.id), results.METHOD)
    _assert_current(site, cast, team.id)
    assert _row(site, team.id) == stored  # the first view after closing read it


def test_two_first_views_at_once_leave_one_consistent_row(
    site: Site, cast: Cast, team: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both views score before either stores, where the database lets them (PostgreSQL); SQLite runs one writer at a
    # time, so there the second finds the first's row.
    both_scored = threading.Barrier(2, timeout=5 if site.backend == "postgresql" else 0.5)
    store = results.store
    met: list[bool] = []

    def store_together(*args: Any) -> None:
        try:
            both_scored.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            pass
        store(*args)

    monkeypatch.setattr(results, "store", store_together)
    seen: list[results.AssessmentResults] = []
    failures: list[BaseException] = []

    def view() -> None:
        try:
            seen.append(_view(site, cast, team.id))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=view) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(seen) == 2
    if site.backend == "postgresql":
        assert met == [True, True]  # the race did happen: both scored, then both stored
    assert seen[0].result == seen[1].result
    with site.sessions() as db:
        count = db.scalar(sa.select(sa.func.count()).where(StoredResult.assessment_id == team.id))
    assert count == 1
    monkeypatch.undo()
    _assert_current(site, cast, team.id)
