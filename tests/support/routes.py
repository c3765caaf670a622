"""The app's routes as (method, path) pairs, for the tests that hold every route to a list (the role table in
docs/security.md, the pages the accessibility audit covers): a new route fails them until someone places it."""

from __future__ import annotations

from fastapi import FastAPI


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app answers, HEAD and the static files left out."""
    found = set()
    for route in app.router.routes:
        # FastAPI keeps included routers as a whole; their effective routes carry the full paths.
        contexts = getattr(route, "effective_route_contexts", None)
        for entry in list(contexts()) if contexts else [route]:
            path = getattr(entry, "path_format", None) or getattr(entry, "path", None)
            for method in getattr(entry, "methods", None) or ():
                if method != "HEAD" and path and not path.startswith("/static"):
                    found.add((method, path))
    return found
