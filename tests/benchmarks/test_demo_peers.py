"""`make run` shows a live cohort: the demo holds SYNTHETIC peer organizations that share their results, enough to
pass the privacy rules, and its benchmark page compares the demo's assessment with them, labelled SYNTHETIC, with
"you are here" on the stage distribution."""

from __future__ import annotations

import html

from sqlalchemy import select

from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.demo_peers import PEERS, PEERS_EMAIL
from cxmaturity.demo_site import seed
from cxmaturity.services import benchmarks
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, Organization, User
from cxmaturity.web.app import create_app
from cxmaturity.web.context import SESSION_COOKIE
from tests.support.demo import DemoDatabase
from tests.web.client import Portal, WebClient


def test_the_demo_benchmark_shows_a_synthetic_cohort_with_you_are_here(demo_database: DemoDatabase) -> None:
    url, sessions, site = demo_database.url, demo_database.sessions, demo_database.site
    again = seed(sessions)  # a second start reuses the peers
    assert site.peers == again.peers == len(PEERS)
    settings = Settings(
        database_url=url, secret_key="demo-test-" + "x" * 40, demo=True, data_dir=demo_database.path.parent
    )
    with sessions() as db:
        peers_owner = db.scalar(select(User.id).where(User.email == PEERS_EMAIL))
        peer_orgs = list(db.scalars(select(Organization).join(Membership).where(Membership.user_id == peers_owner)))
        assert len(peer_orgs) == len(PEERS)
        assert all("SYNTHETIC" in o.name and not o.benchmark_opt_out for o in peer_orgs)
        user = db.scalar(select(User).where(User.email == site.email))
        assert user is not None
        # The demo facilitator is a member of none of the peers: a member of several could subtract them.
        assert not set(db.scalars(select(Membership.organization_id).where(Membership.user_id == user.id))) & {
            o.id for o in peer_orgs
        }
    with transaction(sessions) as db:
        shown = benchmarks.benchmark(
            db, Actor(user.id), site.closed_assessment_id, CohortFilter(), settings.benchmark_min_cohort
        )
        assert shown.decision.shown
        assert shown.decision.others == len(PEERS)
        assert shown.result is not None
    # The report marks the same position on the same distribution, in its drawn (SVG) chart.
    from cxmaturity.services import reports

    with sessions() as db:
        model = reports.report_as_operator(db, site.closed_assessment_id, settings.benchmark_min_cohort)
    assert model.peers is not None
    assert model.peers.you is not None
    assert model.peers.cohort.startswith("SYNTHETIC demo organizations of this installation")
    assert ("peers", "Peers and published studies") in model.headings
    document = html.unescape(reports.render(model, "html").content.decode())
    section = document[document.index('<section id="peers"') :]
    section = section[: section.index("</section>")]
    figure = section[section.index('id="figure-chart-benchmark-stages"') :]
    assert "You are here (" in figure[figure.index("<svg") :]  # the marker is drawn, with its probability
    assert model.peers.you.sentence in section
    assert "Published: XM Institute" in section
    portal = Portal()
    app = create_app(settings, demo_database.engine)
    client = WebClient(app, portal.portal)
    try:
        from cxmaturity.services import accounts

        with transaction(sessions) as db:
            signed = db.get(User, user.id)
            assert signed is not None
            token, _ = accounts.start_session(db, signed, 1)
        client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
        page = client.get(f"/assessments/{site.closed_assessment_id}/benchmark")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert (
            f"SYNTHETIC demo organizations of this installation: all organizations ({len(PEERS)} organizations)" in text
        )
        assert "You are here:" in text
        assert "(you are here)" in text  # the stage table beside the chart
        assert "Published: XM Institute" in text
        # The quartile chart of the cohort is drawn, with the diamonds of the demo's own scores.
        assert "chart-benchmark-quartiles" in page.text
    finally:
        client.close()
        portal.close()
