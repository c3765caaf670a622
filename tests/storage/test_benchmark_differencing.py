"""Differencing through benchmark dataset exports kept over several releases (issue 12: "attack what nobody tried").

A dataset file is a dated copy of a release's figures: an owner who exports one at every release can combine any of
them, not only the last two. The attack, in three releases (k = 5): one Retail organization (the victim) among
Banking ones; five Retail newcomers are released with "everyone" only (showing Retail would isolate the victim
against the release before); five Banking newcomers later, and Retail is now shown. Then

    Retail (release 3) - [everyone (release 2) - everyone (release 1)]  =  the victim alone

and its stage counts give the victim's stage in every competency. Each release passed the check against the
release before it; the check must hold against every earlier release.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.services import benchmarks
from cxmaturity.services.errors import Conflict
from cxmaturity.storage.database import transaction
from tests.support.benchmarks import Peer, add_peer, framework_text
from tests.web.conftest import Site

K = 5
EVERYONE = CohortFilter()
RETAIL = CohortFilter(industry="Retail")


def _export(site: Site, asker: Peer, cohort: CohortFilter) -> dict[str, Any] | None:
    """The dataset file the asker's owner downloads for the cohort now (None: the cohort is not shown)."""
    with transaction(site.sessions) as db:
        try:
            return benchmarks.export_for_assessment(
                db, asker.owner, asker.assessment_id, cohort, K, "Attacker", date(2026, 12, 3)
            )
        except Conflict:
            return None


def _stages(data: dict[str, Any]) -> Counter[str]:
    return Counter(dict(data["overall"]["stages"].items()))


def test_three_releases_kept_as_files_never_isolate_one_organization(site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        asker = add_peer(db, text, industry="Banking", seed=1)
        for s in range(6):
            add_peer(db, text, industry="Banking", seed=10 + s)
        add_peer(db, text, industry="Retail", seed=77)  # the victim
    first = _export(site, asker, EVERYONE)
    assert first is not None
    assert _export(site, asker, RETAIL) is None  # one Retail organization: not shown
    with transaction(site.sessions) as db:
        for s in range(K):
            add_peer(db, text, industry="Retail", seed=100 + s)
    second = _export(site, asker, EVERYONE)
    assert second is not None
    assert second["organizations"] == first["organizations"] + K  # the newcomers were released together
    with transaction(site.sessions) as db:
        for s in range(K):
            add_peer(db, text, industry="Banking", seed=200 + s)
    third_everyone = _export(site, asker, EVERYONE)
    assert third_everyone is not None
    assert third_everyone["organizations"] == second["organizations"] + K  # released, not stalled
    retail = _export(site, asker, RETAIL)
    if retail is not None:
        # Whatever is shown, these files together must not describe fewer than K organizations: what Retail holds
        # beyond the Retail newcomers of release 2 (seen as everyone's growth) must be K organizations or none.
        newcomers = _stages(second) - _stages(first)
        rest = _stages(retail) - newcomers
        assert sum(rest.values()) == 0 or sum(rest.values()) >= K, f"isolated: {dict(rest)}"
