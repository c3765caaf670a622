"""The plan service (services/plans.py), which pages, the API and the command line all call: a move an order rules
out is refused naming the dependency, a change no plan satisfies is refused and keeps the plan, owners survive an
unlock, and a re-assessment carries the plan forward with each initiative's status (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.planning.optimizer import Window
from cxmaturity.services import plans, progress
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid
from cxmaturity.services.plans import Change
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import fill


def _planned(site: Site, cast: Cast) -> tuple[int, plans.SavedPlan]:
    assessment_id = fill(site, cast, {"Team": (3, 0.35)}).id
    with transaction(site.sessions) as db:
        saved = plans.make(db, Actor(cast.facilitator), assessment_id)
    return assessment_id, saved


def _waiting(site: Site, cast: Cast, assessment_id: int, saved: plans.SavedPlan) -> tuple[str, Window]:
    """An initiative of the plan that waits for a prerequisite, and its start window."""
    with site.sessions() as db:
        windows = plans.start_windows(db, Actor(cast.viewer), assessment_id, saved)
    for item in saved.plan.initiatives:
        window = windows.get(item.key)
        if window is not None and window.earliest > 1 and "it requires" in window.why_earliest:
            return item.key, window
    pytest.fail("the plan has no initiative that waits for a prerequisite")


def test_it_refuses_a_move_before_a_prerequisite_can_finish(site: Site, cast: Cast) -> None:
    assessment_id, saved = _planned(site, cast)
    key, window = _waiting(site, cast, assessment_id, saved)
    title = next(i.title for i in saved.plan.initiatives if i.key == key)
    facilitator = Actor(cast.facilitator)
    with pytest.raises(Invalid) as refused, transaction(site.sessions) as db:
        plans.move(db, facilitator, assessment_id, key, window.earliest - 1)
    message = refused.value.message
    assert message.startswith(f"“{title}” cannot start in period {window.earliest - 1}: it requires “")
    assert f"Choose period {window.earliest} or later" in message
    assert key not in message
    assert refused.value.field == "start"
    # At the earliest start offered, the move is kept.
    with transaction(site.sessions) as db:
        moved = plans.move(db, facilitator, assessment_id, key, window.earliest)
    assert next(i.start for i in moved.plan.initiatives if i.key == key) == window.earliest
    assert moved.locks[key] == window.earliest


def test_a_change_no_plan_satisfies_is_refused_and_the_plan_owners_and_locks_stay(site: Site, cast: Cast) -> None:
    assessment_id, saved = _planned(site, cast)
    facilitator = Actor(cast.facilitator)
    first, second = saved.plan.initiatives[0], saved.plan.initiatives[1]
    with transaction(site.sessions) as db:
        plans.adjust(
            db,
            facilitator,
            assessment_id,
            [Change(first.key, owner="Ana Lima", locked=True), Change(second.key, owner="Bo Chen")],
        )
    with site.sessions() as db:
        before = plans.latest(db, facilitator, assessment_id)
        current = plans.settings(db, facilitator, assessment_id)
    assert before is not None
    # A budget of 0 cannot pay the locked initiative's cost (when it has one) or a must-do with cost.
    costly = next(c.key for c in plans.candidates(_framework(site, assessment_id), current) if c.cost)
    with pytest.raises(Invalid) as refused, transaction(site.sessions) as db:
        plans.set_settings(db, facilitator, assessment_id, plans.Settings(budget=0.0, must=(costly,)))
    assert refused.value.message.startswith("No plan satisfies this change, so nothing was saved and the current plan")
    assert "budget" in refused.value.message
    with site.sessions() as db:
        after = plans.latest(db, facilitator, assessment_id)
        assert plans.settings(db, facilitator, assessment_id) == current
    assert after is not None
    assert after.number == before.number
    assert after.owners == {first.key: "Ana Lima", second.key: "Bo Chen"}
    assert after.locks == {first.key: first.start}
    # Unticking the lock keeps both owners.
    with transaction(site.sessions) as db:
        unlocked = plans.unlock(db, facilitator, assessment_id, first.key)
    assert unlocked.locks == {}
    assert unlocked.owners == {first.key: "Ana Lima", second.key: "Bo Chen"}


def _framework(site: Site, assessment_id: int) -> Framework:
    from cxmaturity.services.assessments import framework_of
    from cxmaturity.storage.tables import Assessment

    with site.sessions() as db:
        assessment = db.get(Assessment, assessment_id)
        assert assessment is not None
        return framework_of(assessment)


def test_a_reassessment_carries_the_plan_forward_with_its_statuses(site: Site, cast: Cast) -> None:
    assessment_id, saved = _planned(site, cast)
    owner = Actor(cast.owner)
    done = saved.plan.initiatives[0].key
    with transaction(site.sessions) as db:
        plans.set_owner(db, owner, assessment_id, done, "Ana Lima")
        progress.set_initiative_status(db, owner, assessment_id, done, "done")
        new = progress.reassess(db, owner, assessment_id, title="A year later")
        new_id = new.id
    with site.sessions() as db:
        carried = plans.latest(db, owner, new_id)
        statuses = progress.initiative_statuses(db, owner, new_id)
        before = plans.latest(db, owner, assessment_id)
    assert carried is not None
    assert before is not None
    assert carried.number == 1
    assert "carried the plan forward" in carried.info.note
    assert [i.key for i in carried.plan.initiatives] == [i.key for i in before.plan.initiatives]
    assert carried.owners == {done: "Ana Lima"}
    assert statuses[done].status == "done"
