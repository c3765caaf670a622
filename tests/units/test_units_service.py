"""Units and campaigns through the services, on SQLite and PostgreSQL: the tree's changes and refusals, imports,
campaigns, roll-ups with the anonymity rule, leaders who see their subtree only, goals, hidden names, waves."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from cxmaturity.demo import demo_responses
from cxmaturity.services import accounts, assessments, campaigns, organizations, progress, revisions, units
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Conflict, Forbidden, Invalid, NotFound
from cxmaturity.services.results import load_rows
from cxmaturity.storage.database import reading, transaction
from cxmaturity.storage.tables import Invitation, Membership, StoredUnitTallies, Unit, UnitLeader
from cxmaturity.units.rollup import roll_up
from cxmaturity.units.suppression import PROTECTS_SIBLING, TOO_FEW
from tests.support.site import PASSWORD, Cast, Site
from tests.units.support import campaign, company


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Units {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        return org.id


def test_it_renames_moves_and_refuses_cycles_clashes_and_deleting_data(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
    with transaction(site.sessions) as db:
        with pytest.raises(Invalid, match=r"'North' cannot move under 'Store N1'.*cycle") as caught:
            units.update(db, actor, c.north, parent_id=c.n1)
        assert caught.value.field == "parent"
        with pytest.raises(Invalid, match="already a unit named 'Store N1' under 'North'"):
            units.update(db, actor, c.n2, name="store n1")
        with pytest.raises(Invalid, match="already a unit named 'North'"):
            units.create(db, actor, org, "North", c.top)
        with pytest.raises(Conflict, match="'North' has 2 unit\\(s\\) below it"):
            units.delete(db, actor, c.north)
        moved = units.update(db, actor, c.n2, name="Store N2 (moved)", parent_id=c.south)
        assert (moved.name, moved.parent_id) == ("Store N2 (moved)", c.south)
    with transaction(site.sessions) as db:
        campaign(db, actor, c, {c.n1: (3, 0)})
    with transaction(site.sessions) as db:
        with pytest.raises(Conflict, match="holds data \\(1 campaign\\(s\\), 3 invitation\\(s\\)\\)"):
            units.delete(db, actor, c.n1)
        with pytest.raises(Forbidden):
            units.create(db, Actor(cast.viewer), org, "Viewer's unit")
        with pytest.raises(NotFound, match="no such unit"):
            units.update(db, Actor(cast.outsider), c.n1, name="Taken")
        spare = units.create(db, actor, org, "Spare", c.top)
        db.flush()
        units.delete(db, actor, spare.id)
        assert db.get(Unit, spare.id) is None


def test_it_imports_a_tree_again_after_a_reorganization_and_refuses_a_bad_file_whole(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    first = "key,name,parent\nCO,Company,\nEU,Europe,CO\nP1,Paris,EU\nAM,Americas,CO\n"
    with transaction(site.sessions) as db:
        assert units.import_tree(db, actor, org, first) == units.ImportSummary(created=4, updated=0)
    # Paris moves to the Americas (its key says which unit it is), Berlin is new.
    again = "key,name,parent\nP1,Paris,AM\nB1,Berlin,EU\n"
    with transaction(site.sessions) as db:
        assert units.import_tree(db, actor, org, again, "again.csv") == units.ImportSummary(created=1, updated=1)
        tree = units.tree_of(db, org)
        paris = next(u for u, n in tree.nodes.items() if n.key == "P1")
        assert tree.path(paris) == "Company › Americas › Paris"
    cycle = "key,name,parent\nX1,New,CO\nCO,Company,P1\n"
    clash = "key,name,parent\nX1,New,CO\nX2,Paris,AM\n"
    with transaction(site.sessions) as db:
        with pytest.raises(Invalid) as caught:
            units.import_tree(db, actor, org, cycle, "cycle.csv")
        assert caught.value.field == "file"
        assert caught.value.details == [
            "cycle.csv:3 column 'parent': 'CO' would end up inside itself (a cycle through co > p1 > am)"
        ]
        with pytest.raises(Invalid) as caught:
            units.import_tree(db, actor, org, clash, "clash.csv")
        assert caught.value.details == ["clash.csv:3 column 'name': two units named 'Paris' under the same parent"]
    with transaction(site.sessions) as db:
        assert db.scalar(select(func.count()).where(Unit.organization_id == org)) == 5  # nothing of bad.csv


def test_a_campaign_rolls_up_with_the_anonymity_rule_and_leaders_see_their_subtree(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        # N1: 4 independent; N2: 2 independent + 3 through links the facilitator held; S1: 5 independent.
        created = campaign(db, actor, c, {c.n1: (4, 0), c.n2: (2, 3), c.s1: (5, 0)})
        leader = accounts.sign_up(db, f"leader-{secrets.token_hex(3)}@example.com", PASSWORD)
        sibling = accounts.sign_up(db, f"sibling-{secrets.token_hex(3)}@example.com", PASSWORD)
        db.flush()
        units.add_leader(db, Actor(cast.owner), c.north, leader.email)
        units.add_leader(db, Actor(cast.owner), c.south, sibling.email)
    with transaction(site.sessions) as db:
        found = campaigns.campaign(db, Actor(cast.viewer), created.id)
        assert found is not None
        rolled = found.rollup
        # N2 counts 2 (< 3): withheld. North (6 counted) minus N1 would be N2's two: N1 is withheld too.
        assert rolled.unit(c.n2).withheld == TOO_FEW
        assert rolled.unit(c.n1).withheld == PROTECTS_SIBLING
        assert rolled.unit(c.north).respondents == 9
        assert rolled.unit(c.north).overall_score is not None
        assert rolled.unit(c.s1).respondents == 5
        assert rolled.unit(c.top).respondents == 14
        # A leader of North sees North and its stores, as the campaign withholds them; never South.
        mine = campaigns.unit_view(db, Actor(leader.id), c.north)
        assert [set(v.tree.nodes) for v in mine.campaigns] == [{c.north, c.n1, c.n2}]
        assert mine.campaigns[0].rollup.unit(c.n1).withheld == PROTECTS_SIBLING
        with pytest.raises(NotFound, match="no such unit"):
            campaigns.unit_view(db, Actor(sibling.id), c.north)
        with pytest.raises(NotFound, match="no such unit"):
            campaigns.unit_view(db, Actor(leader.id), c.top)
        # A leader is no member: the assessment itself stays hidden.
        with pytest.raises(NotFound):
            campaigns.campaign(db, Actor(leader.id), created.id)
        # ... and a leader may not change the unit they lead.
        with pytest.raises(Forbidden, match="you lead this unit"):
            units.update(db, Actor(leader.id), c.north, name="Mine")


def test_groups_and_units_never_cut_the_same_respondents_twice(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        grouped = assessments.create(db, actor, org, "Grouped", "builtin:four-competencies", groups=["A", "B"])
        db.flush()
        with pytest.raises(Invalid, match="respondent groups cannot also run across units"):
            campaigns.set_units(db, actor, grouped.id, {c.n1: None})
        created = campaign(db, actor, c, {})
        with pytest.raises(Invalid, match="campaign across units has no respondent groups"):
            assessments.add_groups(db, actor, created.id, ["Late group"])
        with pytest.raises(Invalid, match="choose the campaign unit"):
            assessments.create_invitations(db, actor, created.id, None, 2)
        assessments.create_invitations(db, actor, created.id, None, 2, unit_id=c.s1)
        with pytest.raises(Invalid, match="already have invitations and stay in the campaign: Store S1"):
            campaigns.set_units(db, actor, created.id, {c.n1: None})


def test_response_rates_roll_up_against_goals_and_names_hide_for_viewers(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {c.n1: (3, 0)}, goals={c.n1: 50, c.n2: 80, c.s1: None})
        assessments.set_status(db, actor, created.id, "open")
        assessments.create_invitations(db, actor, created.id, None, 3, unit_id=c.n1)  # 3 of 6 finished: 50 %
        assessments.create_invitations(db, actor, created.id, None, 4, unit_id=c.n2)  # none finished
        campaigns.set_units(db, actor, created.id, {c.n1: 50, c.n2: 80, c.s1: None}, hide_names=True)
    with transaction(site.sessions) as db:
        mine = campaigns.campaign(db, actor, created.id)
        theirs = campaigns.campaign(db, Actor(cast.viewer), created.id)
        assert mine is not None
        assert theirs is not None
        n1, n2, north = mine.rates[c.n1], mine.rates[c.n2], mine.rates[c.north]
        assert (n1.invited, n1.completed, n1.goal, n1.met) == (6, 3, 50, True)
        assert (n2.invited, n2.completed, n2.met) == (4, 0, False)
        assert (north.invited, north.completed, north.goal, north.met) == (10, 3, None, None)
        assert not mine.names_hidden
        assert mine.labels[c.n1] == "Store N1"
        assert theirs.names_hidden
        assert sorted(theirs.labels.values()) == [f"Unit {x}" for x in "ABCDEF"]
        previewed = campaigns.campaign(db, actor, created.id, preview_hidden=True)
        assert previewed is not None
        assert previewed.labels == theirs.labels


def test_a_reassessment_runs_in_the_same_units_and_units_are_compared_over_time(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        goals: dict[int, int | None] = {c.n1: 70, c.n2: None, c.s1: None}
        first = campaign(db, actor, c, {c.n1: (3, 0), c.n2: (3, 0), c.s1: (3, 0)}, goals=goals)
        assessments.set_status(db, actor, first.id, "open")
        assessments.set_status(db, actor, first.id, "closed")
    with transaction(site.sessions) as db:
        second = progress.reassess(db, actor, first.id, title="Second wave")
        db.flush()
        assert campaigns.units_of(db, second.id) == {c.n1: 70, c.n2: None, c.s1: None}
        fw = assessments.framework_of(second)
        assessments.store_responses(
            db, second, demo_responses(fw, seed=99, groups=(("", 1.0, 4),)), {}, "link", held=False, unit_id=c.n1
        )
    with transaction(site.sessions) as db:
        found = campaigns.campaign(db, actor, second.id)
        assert found is not None
        assert [w.assessment.id for w in found.waves] == [first.id, second.id]
        before, after = (w.rollup.unit(c.n1) for w in found.waves)
        assert before.respondents == 3
        assert after.respondents == 4
        assert db.scalar(select(func.count()).where(UnitLeader.unit_id == c.n1)) == 0


def test_the_tallies_counted_in_sql_roll_up_exactly_like_the_answers_loaded(site: Site, cast: Cast) -> None:
    """The database's counts (services.campaigns.stored_tallies) against units.rollup.tallies over the same stored
    answers loaded as a matrix: the same numbers, withheld units and counts, held links and imports included."""
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {c.n1: (4, 2), c.n2: (3, 0), c.s1: (2, 4)})
        fw = assessments.framework_of(created)
        assessments.store_responses(
            db, created, demo_responses(fw, seed=8, groups=(("", 0.0, 2),)), {}, "import", unit_id=c.n2
        )
    with transaction(site.sessions) as db:
        assessment = assessments.get(db, actor, created.id)
        tree = units.tree_of(db, org).covering(campaigns.units_of(db, created.id))
        matrix, _, invitation_ids = load_rows(db, assessment, fw)
        unit_of = dict(db.execute(select(Invitation.id, Invitation.unit_id)).all())
        expected = roll_up(matrix, [unit_of[i] for i in invitation_ids], tree, assessment.min_group_size)
        found = campaigns.campaign(db, actor, created.id)
        assert found is not None
        assert found.rollup == expected
        assert found.rollup.unit(c.south).withheld == TOO_FEW  # 2 independent + 4 held


def test_the_counts_are_stored_per_answers_revision_and_counted_again_after_a_change(site: Site, cast: Cast) -> None:
    """A roll-up read stores the campaign's counts; later reads take them as stored (a reading session included)
    until the answers revision moves, and new answers are then in the roll-up, never hidden behind the stored ones."""
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {c.n1: (3, 0), c.s1: (3, 0)})
    with reading(site.sessions) as db:
        found = campaigns.campaign(db, actor, created.id)
        assert found is not None
        assert found.rollup.unit(c.top).respondents == 6
    with transaction(site.sessions) as db:
        stored = db.execute(
            select(StoredUnitTallies.revision, StoredUnitTallies.computed_at).where(
                StoredUnitTallies.assessment_id == created.id
            )
        ).one()
        assert stored.revision == revisions.current(db, created.id)
        again = campaigns.campaign(db, actor, created.id)
        assert again is not None
        assert again.rollup == found.rollup
        served = select(StoredUnitTallies.computed_at).where(StoredUnitTallies.assessment_id == created.id)
        assert db.scalar(served) == stored.computed_at  # served, not counted again
        assessment = assessments.get(db, actor, created.id)
        fw = assessments.framework_of(assessment)
        more = demo_responses(fw, seed=77, groups=(("", 0.0, 2),))
        assessments.store_responses(db, assessment, more, {}, "link", held=False, unit_id=c.n2)
    with transaction(site.sessions) as db:
        after = campaigns.campaign(db, actor, created.id)
        assert after is not None
        assert after.rollup.unit(c.top).respondents == 8
        assert db.scalar(
            select(StoredUnitTallies.revision).where(StoredUnitTallies.assessment_id == created.id)
        ) == revisions.current(db, created.id)
