"""API fuzzing with schemathesis against /openapi.json, on SQLite and PostgreSQL: generated requests, valid and
invalid, as a facilitator (an owner's API token) and as a respondent (an invitation token), must never cause a
server error or a response that breaks the documented schema.

Ids in generated paths are pointed at an organization of the test's own, so the requests reach the code behind the
permission checks instead of stopping at "not found". CXM_FUZZ_EXAMPLES raises the number of examples per
operation (CI runs the default).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.web.conftest import PASSWORD, Site

EXAMPLES = int(os.environ.get("CXM_FUZZ_EXAMPLES", "8"))
TIMES = os.environ.get("CXM_FUZZ_TIMES") == "1"
#: Operations that render a PDF or run the optimizer take a second or more each: fewer examples for them.
SLOW = {"GET /api/v1/assessments/{assessment_id}/report", "POST /api/v1/assessments/{assessment_id}/plan"}
SLOW_EXAMPLES = 2
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass(frozen=True)
class Target:
    organization: int
    assessment: int
    token: str
    invitations: list[str]


@pytest.fixture(scope="module")
def target(site: Site) -> Target:
    """An organization of its own with a scored, open assessment, so the cast's data stays as other tests expect."""
    fw = load_builtin("four-competencies")
    with transaction(site.sessions) as db:
        user = accounts.sign_up(db, f"fuzz-{site.backend}-{os.getpid()}@example.com", PASSWORD)
        actor = Actor(user.id)
        org = organizations.create(db, actor, "Fuzzing organization")
        assessment = assessments.create(
            db, actor, org.id, "Fuzzed assessment", "builtin:four-competencies", groups=["All", "Sales"]
        )
        db.flush()
        groups = {g.name: g.id for g in assessments.groups(db, assessment.id)}
        responses = demo_responses(fw, seed=5, groups=(("All", 0.0, 6), ("Sales", 0.3, 6)))
        assessments.store_responses(db, assessment, responses, groups, source="import")
        assessments.set_status(db, actor, assessment.id, "open")
        invitations = assessments.create_invitations(db, actor, assessment.id, groups["All"], 20)
        token = accounts.create_api_token(db, user.id, "fuzzing")
        return Target(org.id, assessment.id, token, invitations)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _aim(case: Any, target: Target) -> None:
    params = case.path_parameters or {}
    if "organization_id" in params:
        params["organization_id"] = target.organization
    for name in ("assessment_id", "other_id"):
        if name in params:
            params[name] = target.assessment
    if "invitation_token" in params:
        params["invitation_token"] = target.invitations[0]


def _fuzz(site: Site, target: Target, respondent: bool) -> list[str]:
    """Run every operation of one kind; return the labels of those that failed, with why."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.app)
    headers = {} if respondent else {"Authorization": f"Bearer {target.token}"}
    failed: list[str] = []
    tested = 0
    for found in schema.get_all_operations():
        if not isinstance(found, Ok):
            failed.append(f"an operation of the schema cannot be used: {found.err()}")
            continue
        operation = found.ok()
        if operation.path.startswith("/api/v1/respond/") is not respondent:
            continue
        tested += 1

        @settings(FUZZ, max_examples=SLOW_EXAMPLES if operation.label in SLOW else EXAMPLES)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            _aim(case, target)
            case.call_and_validate(headers=headers, checks=CHECKS)

        started = time.perf_counter()
        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failed.append(f"{operation.label}: {str(exc).strip()[:2000]}")
        if TIMES:
            print(f"{time.perf_counter() - started:6.2f} s  {operation.label}")
    assert tested >= (3 if respondent else 20), "the schema did not list the API's operations"
    return failed


def test_facilitator_requests_never_fail_on_the_server(site: Site, target: Target) -> None:
    failed = _fuzz(site, target, respondent=False)
    assert not failed, "\n\n".join(failed)


def test_respondent_requests_never_fail_on_the_server(site: Site, target: Target) -> None:
    failed = _fuzz(site, target, respondent=True)
    assert not failed, "\n\n".join(failed)
