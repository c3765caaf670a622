"""A campaign's roll-up over 200 units x 30 respondents on PostgreSQL, against scoring the same respondents flat.

The data are SYNTHETIC: a company of 10 regions with 19 stores each (201 units with the company itself), a campaign
of the built-in XM six-competency framework over the 10 regions and 190 stores, and 30 respondents answering for
each of those 200 units (6,000 respondents, every answer written in bulk into a scratch schema, dropped afterwards).

Measured, each the median of 5 runs:

- the roll-up every reader calls (``services.campaigns.campaign``), as the first reader after a change finds it:
  the answers counted per unit in SQL (and the counts stored), every unit's subtree scored with the anonymity rule,
  the response rates against goals and the series; target: under 1 s (each run follows a bump of the answers
  revision, outside the timing, so that each one counts again);
- the same roll-up as later readers find it, the counts stored at the current revision (``campaigns.unit_counts``);
- the baseline, in the same run: the same 6,000 respondents scored as one flat assessment by the scoring engine
  (``services.results.load_responses`` then ``scoring.score`` with the assessment's options, 1,000 posterior draws
  included), which is what the assessment's own results page costs when nothing is stored yet.

``CXM_BENCH_POSTGRES_URL`` chooses the server.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from bench.row import Row
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring import score
from cxmaturity.services import accounts, assessments, campaigns, organizations, results, revisions, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Answer, Invitation

POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REGIONS = 10
STORES_PER_REGION = 19
RESPONDENTS = 30
REPEAT = 5
TARGET = 1.0


@contextmanager
def _scratch_schema() -> Iterator[sa.Engine]:
    schema = f"cxm_bench_units_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(POSTGRES, engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _median(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    fn()  # warm: imports, the framework snapshot's cache, the server's buffers
    times = []
    for _ in range(REPEAT):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _load(engine: sa.Engine) -> tuple[int, int]:
    """Write the SYNTHETIC company, campaign and answers; return (user id, assessment id)."""
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        user = accounts.sign_up(db, f"bench-{secrets.token_hex(4)}@example.com", secrets.token_hex(16), "Bench")
        db.flush()
        actor = Actor(user.id)
        org = organizations.create(db, actor, "SYNTHETIC bench company")
        db.flush()
        top = units.create(db, actor, org.id, "Company")
        chosen: list[int] = []
        for r in range(REGIONS):
            region = units.create(db, actor, org.id, f"Region {r + 1}", top.id)
            chosen.append(region.id)
            chosen.extend(
                units.create(db, actor, org.id, f"Store {r + 1}-{s + 1}", region.id).id
                for s in range(STORES_PER_REGION)
            )
        created = assessments.create(db, actor, org.id, "SYNTHETIC campaign", "builtin:xm-six-competencies")
        db.flush()
        campaigns.set_units(db, actor, created.id, dict.fromkeys(chosen, 70))
        assessment_id, user_id = created.id, user.id
    fw = load_builtin("xm-six-competencies")
    rng = np.random.default_rng(16)
    now = datetime.now(UTC)
    invitations, answers = [], []
    next_id = 1
    for unit in chosen:
        level = rng.uniform(0.2, 0.8)
        for _ in range(RESPONDENTS):
            invitations.append(
                {
                    "id": next_id,
                    "assessment_id": assessment_id,
                    "unit_id": unit,
                    "token_hash": secrets.token_hex(32),
                    "source": "link",
                    "held": False,
                    "created_at": now,
                    "started_at": now,
                    "completed_at": now,
                }
            )
            for _, ind in fw.indicators:
                keys = fw.answer_keys(ind)
                pick = int(np.clip(rng.binomial(len(keys) - 1, level), 0, len(keys) - 1))
                answers.append(
                    {
                        "assessment_id": assessment_id,
                        "invitation_id": next_id,
                        "indicator_key": ind.key,
                        "option_key": keys[pick],
                        "importance": None,
                        "comment": None,
                        "answered_at": now,
                    }
                )
            next_id += 1
    with engine.begin() as conn:
        conn.execute(sa.insert(Invitation), invitations)
        for first in range(0, len(answers), 50_000):
            conn.execute(sa.insert(Answer), answers[first : first + 50_000])
    with engine.begin() as conn:
        # What autovacuum does within a minute of a bulk write this large: without statistics the planner takes
        # 222,000 answers for a few hundred and sorts them on disk instead of hashing them.
        conn.execute(sa.text("ANALYZE answer"))
        conn.execute(sa.text("ANALYZE invitation"))
    return user_id, assessment_id


def run() -> list[Row]:
    try:
        with make_engine(POSTGRES).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return [Row("units: not run", 0.0, 0.0, f"PostgreSQL is not reachable at {POSTGRES}: {exc.orig}")]
    with _scratch_schema() as engine:
        user_id, assessment_id = _load(engine)
        sessions = make_sessionmaker(engine)
        actor = Actor(user_id)

        def flat() -> None:
            with transaction(sessions) as db:
                assessment = assessments.get(db, actor, assessment_id)
                matrix, _ = results.load_responses(db, assessment, assessments.framework_of(assessment))
                score(matrix, results.options_for(assessment))

        def rollup() -> None:
            with transaction(sessions) as db:
                found = campaigns.campaign(db, actor, assessment_id)
                assert found is not None
                assert found.rollup.unit(found.tree.roots()[0]).respondents == REGIONS * (STORES_PER_REGION + 1) * 30

        def change() -> None:
            with transaction(sessions) as db:
                revisions.bump(db, assessment_id)

        baseline = _median(flat)
        rolled = _median(rollup, change)
        stored = _median(rollup)
    units_count = REGIONS * (STORES_PER_REGION + 1)
    size = f"{units_count} units x {RESPONDENTS} respondents"
    return [
        Row(f"flat score, {units_count * RESPONDENTS} respondents", baseline, 1.0, "baseline: load + score"),
        Row(
            f"campaign roll-up, {size}",
            rolled,
            rolled / baseline,
            f"first read after a change; target < {TARGET:.0f} s (PostgreSQL)",
            rolled < TARGET,
        ),
        Row("campaign roll-up, counts stored", stored, stored / baseline, "later reads", stored < TARGET),
    ]
