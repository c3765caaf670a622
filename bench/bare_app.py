"""The baseline of the submission benchmark: a bare Starlette endpoint that inserts the same answer rows.

No framework, no sign-in, no validation: one form parse and one multi-row INSERT in a transaction, on the same kind
of database (URL in BENCH_DATABASE_URL) as the app under test.
"""

from __future__ import annotations

import os

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cxmaturity.storage.database import make_engine

engine = make_engine(os.environ["BENCH_DATABASE_URL"])
INSERT = text(
    "INSERT INTO answer (assessment_id, invitation_id, indicator_key, option_key, answered_at) "
    "VALUES (:assessment_id, :invitation_id, :indicator_key, :option_key, CURRENT_TIMESTAMP)"
)


def _insert(rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        connection.execute(INSERT, rows)


async def submit(request: Request) -> PlainTextResponse:
    form = await request.form()
    invitation = int(request.path_params["invitation"])
    assessment = int(str(form["assessment"]))
    rows: list[dict[str, object]] = [
        {
            "assessment_id": assessment,
            "invitation_id": invitation,
            "indicator_key": key[len("answer:") :],
            "option_key": str(value),
        }
        for key, value in form.multi_items()
        if key.startswith("answer:")
    ]
    await run_in_threadpool(_insert, rows)
    return PlainTextResponse("saved", status_code=303, headers={"location": "/next"})


app = Starlette(routes=[Route("/bare/{invitation:int}/{page:int}", submit, methods=["POST"])])
