"""The workshop service on SQLite and PostgreSQL: start, agenda, votes (hidden until revealed, counted once), agreed
answers, commitments, next steps into the plan, the record, and bad input refused with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cxmaturity.services import plans, workshop_state, workshops
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Conflict, Forbidden, Invalid, NotFound
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Workshop, WorkshopVote
from cxmaturity.workshops import vote_options
from tests.support.site import Cast, Site
from tests.workshops.support import Answered, answered_assessment


@pytest.fixture(scope="module")
def team(site: Site, cast: Cast) -> Answered:
    return answered_assessment(site, cast)


def _start(site: Site, team: Answered) -> tuple[int, str]:
    with transaction(site.sessions) as db:
        for running in workshops.of_assessment(db, team.facilitator, team.assessment):
            if running.status == "running":
                workshops.finish(db, team.facilitator, running.id)
        workshop = workshops.start(db, team.facilitator, team.assessment)
        assert workshop.join_code is not None
        return workshop.id, workshop.join_code


def _join(site: Site, code: str, n: int) -> list[str]:
    tokens = []
    for _ in range(n):
        with transaction(site.sessions) as db:
            token, _ = workshops.join(db, code.lower())
            tokens.append(token)
    return tokens


def test_it_starts_with_an_agenda_from_the_results(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    with transaction(site.sessions) as db:
        agenda = workshops.items(db, workshop_id)
        kinds = [i.kind for i in agenda]
        assert kinds[0] == "holds_back"
        assert "discussion" in kinds
        assert all(i.indicator for i in agenda)
        # A second start while this one runs is refused.
        with pytest.raises(Conflict, match="already running"):
            workshops.start(db, team.facilitator, team.assessment)
        # Viewers read, but may not start or change.
        with pytest.raises(Forbidden):
            workshops.show_item(db, team.viewer, workshop_id, agenda[0].id)
        with pytest.raises(NotFound):
            workshops.get(db, team.outsider, workshop_id)
    assert len(code) == 6


def test_votes_stay_hidden_until_revealed_and_count_once(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    tokens = _join(site, code, 8)
    with transaction(site.sessions) as db:
        item = workshops.items(db, workshop_id)[1]
        workshops.show_item(db, team.facilitator, workshop_id, item.id)
        workshops.open_vote(db, team.facilitator, workshop_id, item.id)
        item_id = item.id
        options = [o["key"] for o in workshop_state.room(db, db.get(Workshop, workshop_id))["item"]["options"]]  # type: ignore[arg-type]
    for n, token in enumerate(tokens):
        with transaction(site.sessions) as db:
            workshops.vote(db, token, item_id, 1, options[n % 2])
    # A second vote from the same person: refused, nothing changes.
    with transaction(site.sessions) as db, pytest.raises(Conflict, match="voted in this round already"):
        workshops.vote(db, tokens[0], item_id, 1, options[1])
    # An option the item does not have.
    with transaction(site.sessions) as db, pytest.raises(Invalid, match="not one of this item's options"):
        workshops.vote(db, tokens[0], item_id, 1, "nonsense")
    with transaction(site.sessions) as db:
        room = workshop_state.room(db, db.get(Workshop, workshop_id))  # type: ignore[arg-type]
        assert room["item"]["votes_cast"] == 8
        assert room["item"]["votes"] is None  # hidden before the reveal
        count = db.scalar(select(func.count()).select_from(WorkshopVote).where(WorkshopVote.item_id == item_id))
        assert count == 8
        mine = workshop_state.for_participant(db, tokens[0])
        assert mine is not None
        assert mine["me"]["vote"] == options[0]
        workshops.reveal(db, team.facilitator, workshop_id, item_id)
    with transaction(site.sessions) as db:
        room = workshop_state.room(db, db.get(Workshop, workshop_id))  # type: ignore[arg-type]
        assert room["item"]["votes"][options[0]] == 4
        assert room["item"]["votes"][options[1]] == 4
        assert sum(room["item"]["votes"].values()) == 8
    # A vote after the reveal, and a vote after the room moved on: refused.
    with transaction(site.sessions) as db, pytest.raises(Conflict, match="vote is closed"):
        workshops.vote(db, tokens[0], item_id, 1, options[0])
    with transaction(site.sessions) as db:
        other = workshops.items(db, workshop_id)[2]
        workshops.show_item(db, team.facilitator, workshop_id, other.id)
    with transaction(site.sessions) as db, pytest.raises(Conflict, match="moved on"):
        workshops.vote(db, tokens[1], item_id, 1, options[0])


def test_the_database_refuses_a_vote_counted_twice(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    (token,) = _join(site, code, 1)
    with transaction(site.sessions) as db:
        item = workshops.items(db, workshop_id)[0]
        workshops.show_item(db, team.facilitator, workshop_id, item.id)
        workshops.open_vote(db, team.facilitator, workshop_id, item.id)
        found = workshops.participant(db, token)
        assert found is not None
        item_id, participant_id = item.id, found[0].id
    with site.sessions() as db:
        db.add(WorkshopVote(item_id=item_id, participant_id=participant_id, round=1, option_key="x"))
        db.add(WorkshopVote(item_id=item_id, participant_id=participant_id, round=1, option_key="y"))
        with pytest.raises(IntegrityError):
            db.commit()


def test_codes_expire_and_end_with_the_workshop(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    with transaction(site.sessions) as db, pytest.raises(NotFound, match="not valid"):
        workshops.join(db, "AAAAAA" if code != "AAAAAA" else "BBBBBB")
    (token,) = _join(site, code, 1)
    with transaction(site.sessions) as db:
        workshop = db.get(Workshop, workshop_id)
        assert workshop is not None
        workshop.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    with transaction(site.sessions) as db, pytest.raises(NotFound, match="not valid"):
        workshops.join(db, code)
    with transaction(site.sessions) as db, pytest.raises(Conflict, match="ended"):
        workshops.commit_as_participant(db, token, "", "Call five customers", "2099-01-01", "public")
    with transaction(site.sessions) as db:
        workshops.finish(db, team.facilitator, workshop_id)
        workshop = db.get(Workshop, workshop_id)
        assert workshop is not None
        assert workshop.join_code is None


def test_an_agreed_answer_outside_the_options_changes_nothing(site: Site, team: Answered) -> None:
    workshop_id, _ = _start(site, team)
    with transaction(site.sessions) as db:
        item = workshops.items(db, workshop_id)[1]
        assert item.indicator is not None
        indicator = item.indicator
        before = len(workshops.agreed_answers(db, team.assessment))
        with pytest.raises(Invalid, match="not an option") as caught:
            workshops.agree(db, team.facilitator, workshop_id, indicator, "dk", "We could not tell")
        assert caught.value.field == "option"
        assert len(workshops.agreed_answers(db, team.assessment)) == before


def test_agreed_answers_give_the_as_agreed_result(site: Site, team: Answered) -> None:
    workshop_id, _ = _start(site, team)
    with transaction(site.sessions) as db:
        item = next(i for i in workshops.items(db, workshop_id) if i.kind == "discussion")
        assert item.indicator is not None
        workshop = db.get(Workshop, workshop_id)
        assert workshop is not None
        top = vote_options(framework_of(workshops.assessment_of(db, workshop)), item.indicator)[-1][0]
        workshops.agree(db, team.facilitator, workshop_id, item.indicator, top, "We have the data", "https://x.test/d")
        assessment = workshops.assessment_of(db, db.get(Workshop, workshop_id))  # type: ignore[arg-type]
        surveyed = workshops.surveyed(db, assessment)
        agreed = workshop_state.as_agreed(db, assessment)
        assert surveyed is not None
        assert agreed is not None
        before = next(i for i in surveyed.indicators if i.key == item.indicator)
        after = next(i for i in agreed.indicators if i.key == item.indicator)
        assert after.distribution[top] == after.answered
        assert after.answered >= before.answered
        assert item.indicator in {d.indicator for d in surveyed.discussion_items}
        assert item.indicator not in {d.indicator for d in agreed.discussion_items}
        record = workshop_state.record_of(db, assessment)
        assert record is not None
        assert [a.option for a in record.agreed if a.indicator == item.indicator] == [top]


def test_commitments_next_steps_and_the_plan(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    (token,) = _join(site, code, 1)
    with transaction(site.sessions) as db:
        workshops.commit_as_participant(db, token, "Anna", "Visit five customers", "2099-01-31", "public")
        workshops.commit_as_participant(db, token, "", "Stop cancelling the CX review", "2099-02-28", "private")
        competency = workshops.items(db, workshop_id)[0].competency
        assert competency is not None
        workshops.add_next_step(db, team.facilitator, workshop_id, "Open a customer room", competency, "COO", 2)
        with pytest.raises(Invalid, match="owner is empty"):
            workshops.add_next_step(db, team.facilitator, workshop_id, "No owner", competency, " ", 1)
        with pytest.raises(Invalid, match="in the past"):
            workshops.commit_as_participant(db, token, "", "Too late", "2000-01-01", "public")
    with transaction(site.sessions) as db:
        room = workshop_state.room(db, db.get(Workshop, workshop_id))  # type: ignore[arg-type]
        assert [c["what"] for c in room["commitments"]] == ["Visit five customers"]  # private stays private
        facilitator = workshop_state.for_facilitator(db, team.facilitator, workshop_id)
        assert len(facilitator["commitments"]) == 2
        saved = workshops.steps_to_plan(db, team.facilitator, workshop_id)
        key = workshops.initiative_key(workshop_id, room["next_steps"][0]["id"])
        planned = {i.key: i for i in saved.plan.initiatives}
        assert key in planned
        assert saved.owners[key] == "COO"
        assert planned[key].owner == "COO"
        with pytest.raises(Invalid, match="in the plan already"):
            workshops.steps_to_plan(db, team.facilitator, workshop_id)
        latest = plans.latest(db, team.facilitator, team.assessment)
        assert latest is not None
        assert key in {i.key for i in latest.plan.initiatives}
        assessment = workshops.assessment_of(db, db.get(Workshop, workshop_id))  # type: ignore[arg-type]
        record = workshop_state.record_of(db, assessment)
        assert record is not None
        assert record.private_commitments == 1
        assert [c.what for c in record.commitments] == ["Visit five customers"]
        assert record.next_steps[0].in_plan


def test_the_definition_is_edited_without_losing_a_change(site: Site, team: Answered) -> None:
    workshop_id, code = _start(site, team)
    (token,) = _join(site, code, 1)
    with transaction(site.sessions) as db:
        workshops.define(db, team.facilitator, workshop_id, "Customers get what we promised.", base="")
        workshops.define_as_participant(
            db, token, "Customers get what we promised, first time.", base="Customers get what we promised."
        )
        with pytest.raises(Conflict, match="changed the definition meanwhile"):
            workshops.define_as_participant(db, token, "Something else", base="Customers get what we promised.")
        workshop = db.get(Workshop, workshop_id)
        assert workshop is not None
        assert workshop.definition == "Customers get what we promised, first time."
