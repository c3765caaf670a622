"""GET /healthz: is the database reachable, migrated to the revision this code needs, and writable?

For load balancers and container orchestrators: 200 when the app can serve, 503 (with a message) when it cannot.
It needs no sign-in and reveals nothing but the migration revisions.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text

from cxmaturity.storage.database import current_revision, head_revision, sqlite_path

log = logging.getLogger("cxmaturity.web.health")
router = APIRouter()


class Migration(BaseModel):
    current: str | None = Field(description="The database's revision (null when it was never migrated).")
    head: str = Field(description="The revision this version of cx-maturity needs.")


class Health(BaseModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable", "unwritable"]
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
    migration = {"current": current, "head": head}
    if (problem := unwritable(engine)) is not None:
        log.warning("health check: the database cannot be written: %s", problem)
        return 503, {
            "status": "error",
            "database": "unwritable",
            "migration": migration,
            "message": "the database cannot be written (a read-only file or folder, or a full disk): "
            "nothing can be saved; the server log says why",
        }
    return 200, {"status": "ok", "database": "ok", "migration": migration}


#: Less free space than this beside a SQLite file, and the next commits may fail with "database or disk is full".
MIN_FREE_BYTES = 1 << 20


def unwritable(engine: Engine) -> str | None:
    """Return why the database behind ``engine`` cannot be written, or None when it can.

    PostgreSQL: an UPDATE that changes nothing, rolled back (it fails on a read-only server or transaction, or
    without the privilege). SQLite: what its writes need from the file system, without taking the write lock (a
    health check must not wait behind an import) and without writing (it must not fill a disk).
    """
    if engine.dialect.name != "sqlite":
        try:
            with engine.connect() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))  # a migration holds the row: do not hang
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                connection.rollback()
        except Exception as exc:
            return str(getattr(exc, "orig", exc))
        return None
    path = sqlite_path(engine.url)
    if path is None:
        return None
    if engine.url.query.get("mode") == "ro":
        return f"{path} is opened read-only (mode=ro)"
    folder = path.parent
    disk = os.statvfs(folder)
    if disk.f_flag & os.ST_RDONLY:
        return f"{folder} is on a read-only file system"
    if not (os.access(path, os.W_OK, effective_ids=True) and os.access(folder, os.W_OK, effective_ids=True)):
        return f"no permission to write {path} and its folder (the WAL and its index are files beside it)"
    if (free := disk.f_bavail * disk.f_frsize) < MIN_FREE_BYTES:
        return f"the file system holding {path} has {free} bytes free"
    return None


@router.get(
    "/healthz",
    tags=["health"],
    summary="Health check: database reachable, migrated and writable",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable, not migrated or not writable."}},
)
def healthz(request: Request) -> JSONResponse:
    status, body = check(request.app.state.engine)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
