"""GET /healthz: is the database reachable and migrated to the revision this code needs?

For load balancers and container orchestrators: 200 when the app can serve, 503 (with a message) when it cannot.
It needs no sign-in and reveals nothing but the migration revisions.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from cxmaturity.storage.database import current_revision, head_revision

log = logging.getLogger("cxmaturity.web.health")
router = APIRouter()


class Migration(BaseModel):
    current: str | None = Field(description="The database's revision (null when it was never migrated).")
    head: str = Field(description="The revision this version of cx-maturity needs.")


class Health(BaseModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]
    migration: Migration
    message: str | None = Field(default=None, description="What is wrong and what to do (only with status error).")


@lru_cache(maxsize=1)
def _head() -> str:
    return head_revision()  # reads the migration scripts: once per process is enough


def check(engine: Engine) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and the body of the health check for the database behind ``engine``."""
    head = _head()
    try:
        current = current_revision(engine)
    except Exception:  # any failure to connect or to read the revision means: cannot serve
        log.warning("health check: the database cannot be reached", exc_info=True)
        return 503, {
            "status": "error",
            "database": "unreachable",
            "migration": {"current": None, "head": head},
            "message": "the database cannot be reached",
        }
    if current != head:
        state = "has never been migrated" if current is None else f"is at revision {current}, the code needs {head}"
        return 503, {
            "status": "error",
            "database": "ok",
            "migration": {"current": current, "head": head},
            "message": f"the database {state}; run `cxm db upgrade`",
        }
    return 200, {"status": "ok", "database": "ok", "migration": {"current": current, "head": head}}


@router.get(
    "/healthz",
    tags=["health"],
    summary="Health check: database reachable and migrated",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable or not migrated."}},
)
def healthz(request: Request) -> JSONResponse:
    status, body = check(request.app.state.engine)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
