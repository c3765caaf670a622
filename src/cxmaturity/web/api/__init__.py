"""The JSON API under /api/v1, documented at /openapi.json."""

from fastapi import APIRouter

from cxmaturity.web.api import long_jobs, mail, outcomes, progress, quick_links, sso, units, v1, workshops

router = APIRouter()
router.include_router(v1.router)
router.include_router(progress.router)
router.include_router(outcomes.router)
router.include_router(workshops.router)
router.include_router(mail.router)
router.include_router(quick_links.router)
router.include_router(units.router)
router.include_router(sso.router)
router.include_router(long_jobs.router)
