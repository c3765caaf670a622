"""Server-rendered pages; each module owns one part of the site."""

from fastapi import APIRouter

from cxmaturity.web.pages import (
    assessments,
    auth,
    benchmarks,
    exports,
    frameworks,
    health,
    jobs,
    joining,
    mail,
    organizations,
    outcomes,
    plans,
    quick,
    reports,
    respond,
    results,
    sso,
    units,
    workshops,
)

# Pages are HTML, not API: they stay out of the OpenAPI document (the health check is listed).
router = APIRouter()
# Respondent pages first: they carry most of the traffic, and routes are matched in order.
for module in (
    respond,
    quick,
    auth,
    sso,
    joining,
    jobs,
    organizations,
    assessments,
    mail,
    frameworks,
    results,
    plans,
    exports,
    reports,
    benchmarks,
    outcomes,
    units,
    workshops,
):
    router.include_router(module.router, include_in_schema=False)
router.include_router(health.router)
