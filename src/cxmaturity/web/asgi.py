"""The ASGI entry point for servers and workers: ``uvicorn cxmaturity.web.asgi:app``.

Each worker builds its app from the environment (CXM_DATABASE_URL, CXM_SECRET_KEY, ...); no state is shared in
memory, so any number of workers can serve the same database.
"""

from cxmaturity.web.app import create_app

app = create_app()
