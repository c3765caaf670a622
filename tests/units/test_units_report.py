"""A campaign's executive report (HTML) and slides (PPTX) list its units from the campaign's own roll-up, on SQLite
and PostgreSQL: the units shown, never a withheld one, and neutral labels when the campaign hides unit names (a
report is a shared view, whoever makes it)."""

from __future__ import annotations

import re
import secrets

from cxmaturity.services import assessments, campaigns, organizations, reports
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership
from cxmaturity.units.suppression import PROTECTS_SIBLING, TOO_FEW
from tests.reporting import pptx_tools
from tests.support.site import Cast, Site
from tests.units.support import Company, campaign, company


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Units report {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        return org.id


def _documents(site: Site, actor: Actor, assessment_id: int) -> tuple[str, str]:
    """The report's HTML and all the text of its units slides."""
    with transaction(site.sessions) as db:
        model = reports.report(db, actor, assessment_id)
    html = reports.render(model, "html").content.decode("utf-8")
    slides = pptx_tools.read(reports.render(model, "pptx").content)
    units_slides = [s for s in slides if s.title.startswith("Units: ")]
    return html, "\n".join(s.all_text for s in units_slides)


def _units_section(html: str) -> str:
    found = re.search(r'<section id="units".*?</section>', html, re.S)
    assert found is not None, "the report has no units section"
    return found.group(0)


def _setup(site: Site, cast: Cast) -> tuple[Company, int]:
    actor = Actor(cast.facilitator)
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        # As in test_units_service: N2 counts 2 (< 3) and is withheld; N1 is withheld so that North minus N1 cannot
        # give N2 away. The company, North, South and S1 are shown.
        created = campaign(db, actor, c, {c.n1: (4, 0), c.n2: (2, 3), c.s1: (5, 0)}, title="Spring store survey")
        return c, created.id


def test_a_campaigns_report_and_slides_list_the_shown_units_and_never_a_withheld_one(site: Site, cast: Cast) -> None:
    c, assessment_id = _setup(site, cast)
    with transaction(site.sessions) as db:
        found = campaigns.campaign(db, Actor(cast.viewer), assessment_id)
        assert found is not None
        assert found.rollup.unit(c.n2).withheld == TOO_FEW
        assert found.rollup.unit(c.n1).withheld == PROTECTS_SIBLING
        top = found.labels[c.top]
        north = found.rollup.unit(c.north)
    html, deck = _documents(site, Actor(cast.viewer), assessment_id)
    section = _units_section(html)
    assert '<a href="#units">Units</a>' in html  # in the contents
    assert "Spring store survey" in section
    for shown in (top, "North", "South", "Store S1"):
        assert f">{shown}</th>" in section
        assert shown in deck
    for withheld in ("Store N1", "Store N2"):
        assert withheld not in html
        assert withheld not in deck
    # North's row carries the roll-up's own numbers: its subtree's 9 respondents (withheld stores included).
    assert north.respondents == 9
    assert re.search(r">North</th><td class=\"num\">9</td>", section)
    for note in (
        "1 unit not listed, withheld: fewer than 3 respondents",
        "1 unit not listed, withheld so that a smaller unit beside it cannot be worked out by subtraction",
    ):
        assert note in section
        assert note in deck


def test_a_report_hides_unit_names_when_the_campaign_does_even_for_a_facilitator(site: Site, cast: Cast) -> None:
    c, assessment_id = _setup(site, cast)
    with transaction(site.sessions) as db:
        chosen = campaigns.units_of(db, assessment_id)
        campaigns.set_units(db, Actor(cast.facilitator), assessment_id, chosen, hide_names=True)
    with transaction(site.sessions) as db:
        # The facilitator sees the names on the campaign page; a report is passed on, so it shows what viewers see.
        page = campaigns.campaign(db, Actor(cast.facilitator), assessment_id)
        shared = campaigns.campaign(db, Actor(cast.viewer), assessment_id)
        assert page is not None
        assert not page.names_hidden
        assert shared is not None
        assert shared.names_hidden
        shown = [shared.labels[u] for u in (c.top, c.north, c.south, c.s1)]
        hidden = [shared.labels[u] for u in (c.n1, c.n2)]
        top_name = page.labels[c.top]
    html, deck = _documents(site, Actor(cast.facilitator), assessment_id)
    section = _units_section(html)
    for label in shown:
        assert f">{label}</th>" in section
        assert label in deck
    for label in hidden:
        assert f">{label}</th>" not in section
        assert label not in deck
    for name in (top_name, "North", "South", "Store S1", "Store N1", "Store N2"):
        assert name not in section
        assert name not in deck
    assert "Unit names are hidden in shared views." in section
    assert "Unit names are hidden in shared views." in deck
    with transaction(site.sessions) as db:
        # The command line's report (the operator) is a shared view too.
        operated = reports.report_as_operator(db, assessment_id).units
        assert operated is not None
        assert operated.names_hidden
        assert sorted(r.name for r in operated.rows) == sorted(shown)


def test_an_assessment_without_units_has_no_units_part(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        plain = assessments.create(db, Actor(cast.facilitator), org, "Plain", "builtin:four-competencies")
        db.flush()
        plain_id = plain.id
    html, deck = _documents(site, Actor(cast.viewer), plain_id)
    assert 'id="units"' not in html
    assert deck == ""
    with transaction(site.sessions) as db:
        assert reports.report_as_operator(db, plain_id).units is None


def test_the_report_and_slides_give_each_shown_units_interval_and_competency_scores(site: Site, cast: Cast) -> None:
    """Each shown unit's overall interval and per-competency scores with intervals, as the engine gives its subtree's
    respondents; a withheld unit has no row in either table."""
    c, assessment_id = _setup(site, cast)
    with transaction(site.sessions) as db:
        model = reports.report(db, Actor(cast.viewer), assessment_id)
        found = campaigns.campaign(db, Actor(cast.viewer), assessment_id, preview_hidden=True)
        assert found is not None
        spread = campaigns.unit_intervals(db, found)
    assert set(spread) == {c.top, c.north, c.south, c.s1}
    summary = model.units
    assert summary is not None
    assert summary.competencies
    south = next(r for r in summary.rows if r.name == "South")
    assert south.interval is not None
    assert south.interval == spread[c.south].overall
    assert len(south.competencies) == len(summary.competencies)
    assert [cell.interval for cell in south.competencies] == [iv for _, iv in spread[c.south].competencies]
    html, deck = _documents(site, Actor(cast.viewer), assessment_id)
    section = _units_section(html)
    lower, upper = south.interval
    assert f"{lower:.2f}" in section
    assert f"{upper:.2f}" in section
    table = re.search(r'<table class="units units-competencies">.*?</table>', section, re.S)
    assert table is not None
    for name in summary.competencies:
        assert f">{name}</th>" in table.group(0)
    first = south.competencies[0]
    assert first.interval is not None
    assert f"({first.interval[0]:.2f}–{first.interval[1]:.2f})" in table.group(0)
    for withheld in ("Store N1", "Store N2"):
        assert withheld not in table.group(0)
    with transaction(site.sessions) as db:
        slides = pptx_tools.read(reports.render(reports.report(db, Actor(cast.viewer), assessment_id), "pptx").content)
    by_competency = "\n".join(s.all_text for s in slides if s.title.startswith("Units by competency: "))
    assert f"({first.interval[0]:.2f}–{first.interval[1]:.2f})" in by_competency
    assert "Store N1" not in by_competency
    assert f"{lower:.2f}–{upper:.2f}" in deck
