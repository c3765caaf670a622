"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from cxmaturity import __version__
from cxmaturity.services import jobs
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.settings import Settings, get_settings
from cxmaturity.storage.database import check_migrated, make_engine, make_sessionmaker
from cxmaturity.web import errors, heavy, security
from cxmaturity.web.api import router as api_router
from cxmaturity.web.pages import progress as progress_pages
from cxmaturity.web.pages import respond as respond_pages
from cxmaturity.web.pages import router as pages_router

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Return the app; it refuses to start on an unmigrated database or, outside demo mode, a placeholder secret."""
    settings = settings or get_settings()
    if not settings.demo and (problem := settings.secret_problem()):
        raise RuntimeError(problem)
    engine = engine or make_engine(settings.sqlalchemy_url())
    check_migrated(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Request threads share one interpreter lock: a few more than the connections a worker really uses keeps
        # the database busy without threads queueing for the lock while they hold a transaction open.
        # Heavy requests (reports, exports, uploads) have threads of their own on top: at most CXM_HEAVY_THREADS of
        # them run at once (web/heavy.py), so they never take a thread that a page view or a sign-in would have had.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads + settings.heavy_threads
        # On SQLite the queue's jobs run in this process (scheduled openings, reminders, closings); on PostgreSQL
        # ``cxm worker`` runs them and this does nothing.
        app.state.jobs.start()
        yield
        app.state.jobs.close()
        app.state.cpu.close()
        engine.dispose()

    app = FastAPI(
        title="cx-maturity",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # the interactive docs page loads scripts from a CDN; /openapi.json is the reference
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    # Reports are drawn and frameworks parsed in child processes, as many at once as heavy requests run.
    app.state.cpu = CpuPool(settings.heavy_threads)
    app.state.jobs = jobs.for_app(settings, engine, app.state.sessions, app.state.cpu)
    # Inside the body limit: a request refused as too large never waits for a turn.
    app.add_middleware(heavy.HeavyRequests, slots=settings.heavy_threads, queue=settings.heavy_queue)
    security.install(app, settings)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.routes.extend(respond_pages.ROUTES)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(progress_pages.router, include_in_schema=False)
    if proxies := settings.proxy_list():
        # Outermost, so that every limit and log sees the client the proxy saw, never what a client claims.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app
