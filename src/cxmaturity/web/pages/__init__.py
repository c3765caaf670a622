"""Server-rendered pages; each module owns one part of the site."""

from fastapi import APIRouter

from cxmaturity.web.pages import assessments, auth, health, organizations, respond, results

router = APIRouter()
for module in (auth, organizations, assessments, results, respond, health):
    router.include_router(module.router)
