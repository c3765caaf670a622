"""The JSON API under /api/v1: tokens, scoping, every endpoint, errors, the respondent API; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cxmaturity.cli import app as cli
from cxmaturity.frameworks import Statement, load_builtin
from cxmaturity.frameworks.catalog import builtin_path
from cxmaturity.services import accounts
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Answer, Invitation
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site

FW = load_builtin("xm-six-competencies")
V1 = "/api/v1"
#: The top-level keys of `cxm score --format json` as docs/cli.md documents them.
RESULT_KEYS = {
    "format",
    "groups_counted",
    "framework",
    "framework_version",
    "respondents",
    "overall",
    "competencies",
    "tracks",
    "weakest",
    "strongest",
    "coverage",
    "low_coverage",
    "indicators",
    "discussion_items",
    "groups",
    "withheld_groups",
    "blind_spots",
    "gaps",
    "settings",
    "not_assessed",
    "excluded_respondents",
}


class Api:
    """A client that sends an API token (or none) with every request."""

    def __init__(self, client: WebClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, url: str, body: Any = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, V1 + url, **kwargs)

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, body: Any = None) -> httpx.Response:
        return self.request("POST", url, body)

    def put(self, url: str, body: Any = None) -> httpx.Response:
        return self.request("PUT", url, body)

    def patch(self, url: str, body: Any = None) -> httpx.Response:
        return self.request("PATCH", url, body)


def api(site: Site, user_id: int | None) -> Api:
    """A client acting with a new API token of ``user_id`` (anonymous when None)."""
    token = None
    if user_id is not None:
        with transaction(site.sessions) as db:
            token = accounts.create_api_token(db, user_id, "tests")
    return Api(site.client(), token)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def new_assessment(facilitator: Api, cast: Cast, **extra: Any) -> dict[str, Any]:
    body = {"title": f"API test {secrets.token_hex(3)}", "framework": "builtin:xm-six-competencies", **extra}
    created: dict[str, Any] = ok(facilitator.post(f"/organizations/{cast.org_a}/assessments", body), 201)
    return created


def answers_csv(respondents: int = 8) -> str:
    """A wide-form answers file of xm-six-competencies: two groups, every kind of answer, importance, a comment."""
    lines = [",".join(["respondent", "group", *FW.indicator_keys, f"{FW.indicator_keys[0]}:importance"])]
    for r in range(respondents):
        cells = []
        for i, (_, ind) in enumerate(FW.indicators):
            keys = FW.answer_keys(ind)
            cells.append("dk" if (r + i) % 11 == 0 else keys[(r * 3 + i * 2) % len(keys)])
        lines.append(",".join([f"r{r}", "North" if r % 2 else "South", *cells, str(1 + r % 5)]))
    return "\n".join(lines) + "\n"


# --- authentication ---------------------------------------------------------------------------------------------


def test_it_refuses_a_request_without_a_token(site: Site) -> None:
    response = api(site, None).get("/organizations")
    assert response.status_code == 401
    assert response.json() == {"detail": "this needs an API token: Authorization: Bearer cxm_…"}
    assert response.headers["www-authenticate"] == 'Bearer realm="cx-maturity"'


@pytest.mark.parametrize("token", ["cxm_not-a-real-token", "not-even-the-prefix"])
def test_it_refuses_a_bad_token(site: Site, token: str) -> None:
    response = Api(site.client(), token).get("/organizations")
    assert response.status_code == 401
    assert response.json() == {"detail": "the API token is not valid"}
    assert response.headers["www-authenticate"] == 'Bearer realm="cx-maturity", error="invalid_token"'


def test_it_refuses_a_browser_session_on_the_api(site: Site, cast: Cast) -> None:
    client = site.client(cast.owner)  # signed in with a session cookie, no token
    assert client.get("/").status_code == 200
    response = client.get(f"{V1}/organizations")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("the API does not accept browser sessions")
    forged = client.post(f"{V1}/organizations", json={"name": "Via cookie"})
    assert forged.status_code == 401


def test_it_records_when_a_token_was_last_used(site: Site, cast: Cast) -> None:
    from cxmaturity.storage.tables import ApiToken

    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, cast.viewer, "last used")
    ok(Api(site.client(), token).get("/organizations"))
    with site.sessions() as db:
        found = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
        assert found is not None
        assert found.last_used_at is not None


# --- organizations ----------------------------------------------------------------------------------------------


def test_it_creates_lists_and_shows_organizations(site: Site, cast: Cast) -> None:
    owner = api(site, cast.owner)
    name = f"API org {secrets.token_hex(3)}"
    created = ok(
        owner.post("/organizations", {"name": name, "industry": "Banking", "size_band": "50-249", "region": "EU"}), 201
    )
    assert created["name"] == name
    assert created["role"] == "owner"
    assert set(created) == {"id", "name", "industry", "size_band", "region", "role", "created_at"}
    listed = ok(owner.get("/organizations"))
    assert {(o["id"], o["role"]) for o in listed} >= {(created["id"], "owner"), (cast.org_a, "owner")}
    assert ok(owner.get(f"/organizations/{created['id']}")) == created
    viewer_view = ok(api(site, cast.viewer).get(f"/organizations/{cast.org_a}"))
    assert (viewer_view["name"], viewer_view["role"]) == ("Organization A", "viewer")


def test_it_reports_service_errors_as_json(site: Site, cast: Cast) -> None:
    response = api(site, cast.owner).post("/organizations", {"name": "Sized", "size_band": "huge"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "size band must be one of 1-49, 50-249, 250-999, 1000-4999, 5000+",
        "field": "size_band",
    }


def test_it_reports_a_badly_shaped_request_with_its_fields(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    response = facilitator.post(
        f"/organizations/{cast.org_a}/assessments", {"title": "x" * 301, "framwork": "builtin:xm-six-competencies"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "the request is not valid"
    assert body["field"] == "title"
    assert "title: String should have at most 300 characters" in body["problems"]
    assert "framework: Field required" in body["problems"]
    assert "framwork: Extra inputs are not permitted" in body["problems"]
    broken = facilitator.client.post(
        f"{V1}/organizations", headers={**facilitator.headers, "Content-Type": "application/json"}, content=b'{"name": '
    )
    assert broken.status_code == 422
    assert broken.json() == {
        "detail": "the request is not valid",
        "problems": ["body: not valid JSON at character 9 (Expecting value)"],
    }


def test_it_reports_a_body_that_is_not_utf8_or_too_deep_as_malformed_json(site: Site, cast: Cast) -> None:
    # The framework answers these with a bare 400 "There was an error parsing the body": neither the shape of every
    # other error nor a word about what is wrong.
    facilitator = api(site, cast.facilitator)
    headers = {**facilitator.headers, "Content-Type": "application/json"}
    body = '{"name": "Café"}'.encode("latin-1")
    latin1 = facilitator.client.post(f"{V1}/organizations", headers=headers, content=body)
    assert latin1.status_code == 422
    assert latin1.json() == {
        "detail": "the request is not valid",
        "problems": ["body: not valid JSON (byte 0xE9 at offset 13 is not UTF-8; send the JSON as UTF-8)"],
    }
    deep = facilitator.client.post(
        f"{V1}/organizations", headers=headers, content=b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    assert deep.status_code == 422
    assert deep.json()["problems"] == ["body: not valid JSON (nested too deeply)"]
    long_number = facilitator.client.post(
        f"{V1}/organizations", headers=headers, content=b'{"name": "x", "industry": ' + b"7" * 5000 + b"}"
    )
    assert long_number.status_code == 422
    assert long_number.json()["problems"] == ["body: not valid JSON (a number has more than 4300 digits)"]
    names = [o["name"] for o in ok(facilitator.get("/organizations"))]
    assert "Café" not in names


# --- frameworks -------------------------------------------------------------------------------------------------


def test_it_lists_framework_choices(site: Site, cast: Cast) -> None:
    choices = ok(api(site, cast.viewer).get(f"/frameworks?organization_id={cast.org_a}"))
    builtin = {c["ref"]: c for c in choices if not c["uploaded"]}
    assert builtin["builtin:xm-six-competencies"] == {
        "ref": "builtin:xm-six-competencies",
        "id": "xm-six-competencies",
        "name": FW.text(FW.name),
        "version": FW.version,
        "uploaded": False,
    }
    assert api(site, cast.viewer).get("/frameworks").status_code == 422


def test_it_uploads_a_framework_and_creates_an_assessment_from_it(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    version = f"9.{secrets.randbelow(10**6)}"
    text = builtin_path("four-competencies").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", f'version: "{version}"', text, count=1)
    uploaded = ok(facilitator.post(f"/organizations/{cast.org_a}/frameworks", {"text": text}), 201)
    assert uploaded["ref"].startswith("uploaded:")
    assert (uploaded["id"], uploaded["version"], uploaded["uploaded"]) == ("four-competencies", version, True)
    refs = {c["ref"] for c in ok(facilitator.get(f"/frameworks?organization_id={cast.org_a}"))}
    assert uploaded["ref"] in refs
    again = facilitator.post(f"/organizations/{cast.org_a}/frameworks", {"text": text})
    assert again.status_code == 409
    created = new_assessment(facilitator, cast, framework=uploaded["ref"])
    assert created["framework"]["id"] == "four-competencies"
    assert created["framework"]["version"] == version
    # Another organization cannot use it.
    outsider = api(site, cast.outsider)
    refused = outsider.post(
        f"/organizations/{cast.org_b}/assessments", {"title": "Borrowed", "framework": uploaded["ref"]}
    )
    assert refused.status_code == 422
    assert refused.json() == {"detail": "choose a framework from the list", "field": "framework"}


def test_it_lists_the_problems_of_a_framework_with_errors(site: Site, cast: Cast) -> None:
    response = api(site, cast.facilitator).post(
        f"/organizations/{cast.org_a}/frameworks",
        {"text": "format: cx-maturity/framework@1\nid: Bad Id\n", "filename": "mine.yaml"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "mine.yaml is not a valid framework"
    assert body["field"] == "file"
    assert body["problems"]
    assert all(p.startswith("mine.yaml:") for p in body["problems"])


def test_it_refuses_control_characters_or_a_huge_number_in_a_framework_and_stores_nothing(
    site: Site, cast: Cast
) -> None:
    example = (Path(__file__).parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")
    text = example.replace("id: example-model", "id: bell-model").replace("name: Learning", 'name: "Learn\\aing"')
    facilitator = api(site, cast.facilitator)
    response = facilitator.post(f"/organizations/{cast.org_a}/frameworks", {"text": text, "filename": "bell.yaml"})
    assert response.status_code == 422, response.text
    assert response.json()["problems"] == [
        "bell.yaml:13:11 stages[1].name: contains the control character U+0007; a framework's texts hold printable "
        "characters only"
    ]
    choices = ok(facilitator.get(f"/frameworks?organization_id={cast.org_a}"))
    assert "bell-model" not in {c["id"] for c in choices}
    # A number of thousands of digits: the upload's child process failed, a 500.
    huge = example.replace("id: example-model", "id: huge-model")
    huge = huge.replace("    effort: 6\n", "    effort: " + "6" * 5000 + "\n")
    response = facilitator.post(f"/organizations/{cast.org_a}/frameworks", {"text": huge, "filename": "huge.yaml"})
    assert response.status_code == 422, response.text
    assert response.json()["problems"] == ["huge.yaml:91:13 a number has more than 4300 digits"]
    choices = ok(facilitator.get(f"/frameworks?organization_id={cast.org_a}"))
    assert "huge-model" not in {c["id"] for c in choices}


# --- assessments ------------------------------------------------------------------------------------------------


def test_it_runs_an_assessment_from_creation_to_results(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    created = new_assessment(facilitator, cast, groups=["Sales", "Service"], min_group_size=2)
    aid = created["id"]
    assert created["status"] == "draft"
    assert created["min_group_size"] == 2
    assert [g["name"] for g in created["groups"]] == ["Sales", "Service"]
    assert created["framework"] == {"id": FW.id, "version": FW.version, "name": FW.text(FW.name)}
    listed = ok(facilitator.get(f"/organizations/{cast.org_a}/assessments"))
    assert aid in {a["id"] for a in listed}
    # Nothing to score yet: refused, rather than shown as the first stage.
    empty = ok(facilitator.get(f"/assessments/{aid}/results"), 422)
    assert empty["detail"].endswith("no usable answer to score: every answer is don't know, not applicable or missing")

    groups = ok(facilitator.post(f"/assessments/{aid}/groups", {"names": ["Marketing", "sales"]}), 201)
    assert [g["name"] for g in groups["added"]] == ["Marketing"]
    assert [g["name"] for g in groups["groups"]] == ["Marketing", "Sales", "Service"]
    sales = next(g["id"] for g in groups["groups"] if g["name"] == "Sales")

    target = {FW.competencies[0].key: FW.stages[-1].key}
    opened = ok(facilitator.patch(f"/assessments/{aid}", {"status": "open", "targets": target}))
    assert (opened["status"], opened["targets"]) == ("open", target)
    assert opened["opened_at"] is not None
    assert ok(facilitator.get(f"/assessments/{aid}")) == opened

    invited = ok(facilitator.post(f"/assessments/{aid}/invitations", {"group_id": sales, "count": 3}), 201)
    assert (invited["assessment_id"], invited["group_id"]) == (aid, sales)
    tokens = [i["token"] for i in invited["invitations"]]
    assert len(set(tokens)) == 3
    assert invited["invitations"][0]["link"] == f"https://testserver/r/{tokens[0]}"
    assert invited["invitations"][0]["api"] == f"https://testserver/api/v1/respond/{tokens[0]}"

    respondent = Api(site.client(), None)
    for n, token in enumerate(tokens[:2]):
        for comp in FW.competencies:
            answers = {ind.key: FW.answer_keys(ind)[(n + 1) % len(FW.answer_keys(ind))] for ind in comp.indicators}
            ok(respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": answers}))
        assert ok(respondent.post(f"/respond/{token}/finish"))["status"] == "completed"

    rates = ok(facilitator.get(f"/assessments/{aid}/response-rates"))
    by_group = {r["group"]: r for r in rates}
    assert by_group["Sales"] == {"group": "Sales", "invited": 3, "started": 2, "completed": 2, "rate": 0.6667}
    assert by_group["Marketing"]["invited"] == 0

    result = ok(facilitator.get(f"/assessments/{aid}/results"))
    assert set(result) == RESULT_KEYS
    assert result["respondents"] == 2
    assert result["settings"]["targets"] == target
    assert ok(api(site, cast.viewer).get(f"/assessments/{aid}/results")) == result

    closed = ok(facilitator.patch(f"/assessments/{aid}", {"status": "closed"}))
    assert closed["status"] == "closed"
    again = facilitator.patch(f"/assessments/{aid}", {"status": "closed"})
    assert again.status_code == 409
    assert again.json() == {"detail": "an assessment that is closed cannot be set to closed"}


def test_it_changes_nothing_when_one_part_of_an_update_fails(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    target = {FW.competencies[0].key: FW.stages[-1].key}
    response = facilitator.patch(f"/assessments/{aid}", {"targets": target, "status": "closed"})
    assert response.status_code == 409
    unchanged = ok(facilitator.get(f"/assessments/{aid}"))
    assert (unchanged["status"], unchanged["targets"]) == ("draft", {})
    bad = facilitator.patch(f"/assessments/{aid}", {"targets": {"no-such-competency": "x"}})
    assert bad.status_code == 422
    assert bad.json()["field"] == "targets"


def test_it_gives_the_results_in_the_shape_of_the_cli(site: Site, cast: Cast, tmp_path: Path) -> None:
    facilitator = api(site, cast.facilitator)
    created = new_assessment(facilitator, cast, min_group_size=3)
    text = answers_csv()
    assert ok(facilitator.post(f"/assessments/{created['id']}/answers/import", {"text": text}), 201) == {"imported": 8}
    from_api = ok(facilitator.get(f"/assessments/{created['id']}/results"))

    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    run = CliRunner().invoke(
        cli,
        ["score", "-f", FW.id, str(path), "--format", "json", "--seed", str(created["id"]), "--min-group-size", "3"],
    )
    assert run.exit_code == 0, run.output
    from_cli = json.loads(run.stdout)
    assert set(from_api) == set(from_cli) == RESULT_KEYS
    assert from_api["overall"].keys() == from_cli["overall"].keys()
    assert from_api["competencies"][0].keys() == from_cli["competencies"][0].keys()
    # The same answers, seed and settings give the same numbers, interval for interval. The server says its groups are
    # counted by imported rows (every respondent was imported); the command line counts a file's rows as ever.
    assert (from_api.pop("groups_counted"), from_cli.pop("groups_counted")) == ("imported", "independent")
    assert from_api == from_cli


# --- imports ----------------------------------------------------------------------------------------------------


def test_it_imports_nothing_from_a_file_with_errors(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    first = FW.indicator_keys[0]
    text = f"respondent,group,{first},nonsense\nr1,North,9,\nr2,North,dk,\n"
    response = facilitator.post(f"/assessments/{aid}/answers/import", {"text": text, "filename": "survey.csv"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "the file has errors; nothing was imported"
    assert body["field"] == "file"
    assert any(p.startswith("survey.csv:1 column 'nonsense':") for p in body["problems"])
    assert any(p.startswith(f"survey.csv:2 column '{first}': '9' is not an answer") for p in body["problems"])
    with site.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Invitation).where(Invitation.assessment_id == aid)) == 0
    assert ok(facilitator.get(f"/assessments/{aid}"))["groups"] == []


def test_the_same_file_imported_twice_is_refused_unless_allow_duplicate(site: Site, cast: Cast) -> None:
    # A second import of the same file added its respondents again: every result weighed them twice.
    facilitator = api(site, cast.facilitator)
    created = new_assessment(facilitator, cast)
    aid = created["id"]
    text = answers_csv(6)
    assert ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": text}), 201) == {"imported": 6}
    refused = facilitator.post(f"/assessments/{aid}/answers/import", {"text": text, "filename": "again.csv"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["field"] == "file"
    assert re.fullmatch(
        rf"again\.csv holds the same answers as a file imported into \u201c{re.escape(created['title'])}\u201d on "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC; importing it again would count its respondents twice, so nothing was "
        r"imported \(to import it anyway, allow a duplicate import\)",
        body["detail"],
    ), body
    with site.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Invitation).where(Invitation.assessment_id == aid)) == 6
    body = {"text": text, "allow_duplicate": True}
    assert ok(facilitator.post(f"/assessments/{aid}/answers/import", body), 201) == {"imported": 6}
    # A different file is no repeat.
    assert ok(facilitator.post(f"/assessments/{aid}/answers/import", {"text": answers_csv(7)}), 201) == {"imported": 7}
    with site.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Invitation).where(Invitation.assessment_id == aid)) == 19


def test_it_refuses_text_above_the_upload_limit(site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site.settings, "max_upload_bytes", 1000)
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    response = facilitator.post(f"/assessments/{aid}/answers/import", {"text": "é" * 501})
    assert response.status_code == 413
    assert response.json() == {"detail": "the text has 1002 bytes; at most 1000 bytes are allowed", "field": "text"}
    # A body far above the limit is refused before it is read.
    body_limit = 4 * 1000 + 1024 * 1024
    huge = facilitator.post(f"/assessments/{aid}/answers/import", {"text": "x" * body_limit})
    assert huge.status_code == 413
    assert huge.json() == {"detail": f"the request body is larger than {body_limit} bytes"}


# --- who may do what --------------------------------------------------------------------------------------------


def test_it_hides_organization_a_from_an_outsider(site: Site, cast: Cast) -> None:
    outsider = api(site, cast.outsider)
    a, o = cast.assessment, cast.org_a
    for method, url, body in [
        ("GET", f"/organizations/{o}", None),
        ("GET", f"/organizations/{o}/assessments", None),
        ("POST", f"/organizations/{o}/assessments", {"title": "Hijack", "framework": "builtin:xm-six-competencies"}),
        ("POST", f"/organizations/{o}/frameworks", {"text": "id: x\n"}),
        ("GET", f"/frameworks?organization_id={o}", None),
        ("GET", f"/assessments/{a}", None),
        ("PATCH", f"/assessments/{a}", {"status": "closed"}),
        ("POST", f"/assessments/{a}/groups", {"names": ["Intruders"]}),
        ("POST", f"/assessments/{a}/invitations", {"count": 1}),
        ("GET", f"/assessments/{a}/response-rates", None),
        ("POST", f"/assessments/{a}/answers/import", {"text": "respondent\n"}),
        ("GET", f"/assessments/{a}/results", None),
    ]:
        response = outsider.request(method, url, body)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["detail"] in ("no such organization", "no such assessment")
    assert cast.org_a not in {org["id"] for org in ok(outsider.get("/organizations"))}


def test_it_lets_a_viewer_read_but_change_nothing(site: Site, cast: Cast) -> None:
    viewer = api(site, cast.viewer)
    a, o = cast.assessment, cast.org_a
    assert ok(viewer.get(f"/assessments/{a}"))["status"] == "open"
    assert ok(viewer.get(f"/assessments/{a}/response-rates"))
    for method, url, body in [
        ("POST", f"/organizations/{o}/assessments", {"title": "Mine", "framework": "builtin:xm-six-competencies"}),
        ("POST", f"/organizations/{o}/frameworks", {"text": "id: x\n"}),
        ("PATCH", f"/assessments/{a}", {"status": "closed"}),
        ("PATCH", f"/assessments/{a}", {"targets": {}}),
        ("POST", f"/assessments/{a}/groups", {"names": ["Viewers"]}),
        ("POST", f"/assessments/{a}/invitations", {"count": 1}),
        ("POST", f"/assessments/{a}/answers/import", {"text": "respondent\n"}),
    ]:
        response = viewer.request(method, url, body)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json() == {"detail": "this needs the facilitator role; you are viewer"}
    assert ok(viewer.get(f"/assessments/{a}"))["status"] == "open"


def test_it_limits_invitations_per_request(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    limit = site.settings.max_invitations_per_request
    response = facilitator.post(f"/assessments/{aid}/invitations", {"count": limit + 1})
    assert response.status_code == 422
    assert response.json() == {"detail": f"create between 1 and {limit} links at a time", "field": "count"}
    other = facilitator.post(f"/assessments/{aid}/invitations", {"group_id": cast.groups["Leadership"], "count": 1})
    assert other.status_code == 422
    assert other.json() == {"detail": "choose a group of this assessment", "field": "group"}


# --- respondents ------------------------------------------------------------------------------------------------


def _invite(site: Site, cast: Cast) -> str:
    facilitator = api(site, cast.facilitator)
    body = {"group_id": cast.groups["Operations"], "count": 1}
    return str(
        ok(facilitator.post(f"/assessments/{cast.assessment}/invitations", body), 201)["invitations"][0]["token"]
    )


def _saved_rows(site: Site, token: str) -> list[tuple[Any, ...]]:
    with site.sessions() as db:
        invitation_id = db.scalar(select(Invitation.id).where(Invitation.token_hash == digest(token)))
        rows = db.execute(
            select(Answer.invitation_id, Answer.indicator_key, Answer.option_key, Answer.importance, Answer.comment)
            .where(Answer.invitation_id == invitation_id)
            .order_by(Answer.indicator_key)
        ).all()
    return [tuple(r) for r in rows]


def test_it_shows_a_respondent_the_questions(site: Site, cast: Cast) -> None:
    token = _invite(site, cast)
    view = ok(Api(site.client(), None).get(f"/respond/{token}"))
    assert (view["assessment"], view["organization"], view["group"]) == (
        "Leadership team 2026",
        "Organization A",
        "Operations",
    )
    assert view["status"] == "open"
    assert view["resume_page"] == FW.competencies[0].key
    assert [p["key"] for p in view["pages"]] == [c.key for c in FW.competencies]
    page = view["pages"][0]
    assert page["name"] == FW.text(FW.competencies[0].name)
    assert page["saved"] is False
    for indicator, (_, ind) in zip([i for p in view["pages"] for i in p["indicators"]], FW.indicators, strict=True):
        assert indicator["key"] == ind.key
        assert indicator["kind"] == ind.kind
        keys = [o["key"] for o in indicator["options"]]
        assert keys[-2:] == ["dk", "na"]
        assert indicator["options"][-2:] == [
            {"key": "dk", "label": "Don't know"},
            {"key": "na", "label": "Not applicable"},
        ]
        if isinstance(ind, Statement):
            assert keys[:-2] == list(FW.answer_keys(ind))
        else:
            assert keys[:-2] == [o.stage for o in ind.options]
        assert indicator["saved"] is None


def test_it_saves_a_page_resumes_and_ignores_a_double_save(site: Site, cast: Cast) -> None:
    token = _invite(site, cast)
    respondent = Api(site.client(), None)
    comp = FW.competencies[0]
    first, second = comp.indicators[0], comp.indicators[1]
    body = {
        "answers": {first.key: FW.answer_keys(first)[-1], second.key: "dk"},
        "importance": {first.key: 5},
        "comments": {second.key: "We never measured this."},
    }
    view = ok(respondent.put(f"/respond/{token}/pages/{comp.key}", body))
    rows = _saved_rows(site, token)
    assert ok(respondent.put(f"/respond/{token}/pages/{comp.key}", body)) == view
    assert [r[1:] for r in _saved_rows(site, token)] == [r[1:] for r in rows]
    assert len(rows) == 2

    resumed = ok(Api(site.client(), None).get(f"/respond/{token}"))
    assert resumed == view
    assert resumed["resume_page"] == FW.competencies[1].key
    page = resumed["pages"][0]
    assert page["saved"] is True
    saved = {i["key"]: i["saved"] for i in page["indicators"]}
    assert saved[first.key] == {"answer": FW.answer_keys(first)[-1], "importance": 5, "comment": None}
    assert saved[second.key] == {"answer": "dk", "importance": None, "comment": "We never measured this."}

    # Saving the page again with other answers replaces it.
    ok(respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": {first.key: "na"}}))
    assert [(r[1], r[2]) for r in _saved_rows(site, token)] == [(first.key, "na")]


def test_it_refuses_answers_that_do_not_fit(site: Site, cast: Cast) -> None:
    token = _invite(site, cast)
    respondent = Api(site.client(), None)
    comp = FW.competencies[0]
    first = comp.indicators[0]
    wrong = respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": {first.key: "11"}})
    assert wrong.status_code == 422
    assert wrong.json() == {"detail": "'11' is not an answer to this question", "field": first.key}
    elsewhere = FW.competencies[1].indicators[0].key
    stray = respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": {elsewhere: "dk"}})
    assert stray.status_code == 422
    assert stray.json() == {"detail": f"'{elsewhere}' is not a question on this page", "field": elsewhere}
    importance = respondent.put(f"/respond/{token}/pages/{comp.key}", {"importance": {first.key: 9}})
    assert importance.status_code == 422
    assert importance.json()["problems"] == [f"importance.{first.key}: Input should be less than or equal to 5"]
    page = respondent.put(f"/respond/{token}/pages/no-such-page", {"answers": {}})
    assert page.status_code == 404
    assert page.json() == {"detail": "no such page"}
    assert _saved_rows(site, token) == []


def test_it_refuses_an_unknown_invitation(site: Site) -> None:
    respondent = Api(site.client(), None)
    for response in (
        respondent.get("/respond/not-a-token"),
        respondent.put(f"/respond/not-a-token/pages/{FW.competencies[0].key}", {"answers": {}}),
        respondent.post("/respond/not-a-token/finish"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "this link is not valid; check that you copied all of it"}


def test_it_finishes_once_and_then_keeps_the_answers(site: Site, cast: Cast) -> None:
    token = _invite(site, cast)
    respondent = Api(site.client(), None)
    comp = FW.competencies[0]
    ok(respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": {comp.indicators[0].key: "dk"}}))
    finished = ok(respondent.post(f"/respond/{token}/finish"))
    assert finished["status"] == "completed"
    assert ok(respondent.post(f"/respond/{token}/finish")) == finished
    late = respondent.put(f"/respond/{token}/pages/{comp.key}", {"answers": {comp.indicators[0].key: "na"}})
    assert late.status_code == 409
    assert late.json() == {"detail": "you have already submitted your answers; thank you"}
    assert [(r[1], r[2]) for r in _saved_rows(site, token)] == [(comp.indicators[0].key, "dk")]


def test_it_tells_a_respondent_when_the_assessment_is_closed(site: Site, cast: Cast) -> None:
    facilitator = api(site, cast.facilitator)
    aid = new_assessment(facilitator, cast)["id"]
    ok(facilitator.patch(f"/assessments/{aid}", {"status": "open"}))
    token = ok(facilitator.post(f"/assessments/{aid}/invitations", {"count": 1}), 201)["invitations"][0]["token"]
    ok(facilitator.patch(f"/assessments/{aid}", {"status": "closed"}))
    respondent = Api(site.client(), None)
    assert ok(respondent.get(f"/respond/{token}"))["status"] == "closed"
    response = respondent.put(f"/respond/{token}/pages/{FW.competencies[0].key}", {"answers": {}})
    assert response.status_code == 409
    assert response.json() == {"detail": "this assessment is closed; what you saved before is kept"}


# --- the OpenAPI document ---------------------------------------------------------------------------------------


def test_it_documents_every_endpoint_in_openapi(site: Site) -> None:
    from fastapi.routing import APIRoute

    document = ok(site.client().get("/openapi.json"))
    paths = document["paths"]
    routes = {r.path for r in site.app.routes if isinstance(r, APIRoute) and r.path.startswith(V1)}
    assert routes <= set(paths)
    expected = {
        ("get", "/organizations"),
        ("post", "/organizations"),
        ("get", "/organizations/{organization_id}"),
        ("get", "/organizations/{organization_id}/assessments"),
        ("post", "/organizations/{organization_id}/member-invitations"),
        ("get", "/organizations/{organization_id}/member-invitations"),
        ("delete", "/organizations/{organization_id}/member-invitations/{invitation_id}"),
        ("get", "/member-invitations/{join_token}"),
        ("post", "/member-invitations/{join_token}/accept"),
        ("post", "/member-invitations/{join_token}/decline"),
        ("post", "/organizations/{organization_id}/assessments"),
        ("post", "/organizations/{organization_id}/frameworks"),
        ("get", "/frameworks"),
        ("get", "/assessments/{assessment_id}"),
        ("patch", "/assessments/{assessment_id}"),
        ("post", "/assessments/{assessment_id}/groups"),
        ("post", "/assessments/{assessment_id}/invitations"),
        ("get", "/organizations/{organization_id}/audit"),
        ("get", "/assessments/{assessment_id}/response-rates"),
        ("post", "/assessments/{assessment_id}/answers/import"),
        ("get", "/assessments/{assessment_id}/results"),
        ("get", "/assessments/{assessment_id}/report"),
        ("get", "/assessments/{assessment_id}/export/{filename}"),
        ("get", "/respond/{invitation_token}"),
        ("put", "/respond/{invitation_token}/pages/{competency_key}"),
        ("post", "/respond/{invitation_token}/finish"),
        ("get", "/assessments/{assessment_id}/plan/settings"),
        ("put", "/assessments/{assessment_id}/plan/settings"),
        ("post", "/assessments/{assessment_id}/plan"),
        ("get", "/assessments/{assessment_id}/plan"),
        ("get", "/assessments/{assessment_id}/plan/versions"),
        ("get", "/assessments/{assessment_id}/plan/versions/{number}"),
        ("patch", "/assessments/{assessment_id}/plan/initiatives/{key}"),
        ("get", "/assessments/{assessment_id}/plan.csv"),
        ("get", "/assessments/{assessment_id}/plan.ics"),
        ("get", "/assessments/{assessment_id}/series"),
        ("get", "/assessments/{assessment_id}/compare/{other_id}"),
        ("post", "/assessments/{assessment_id}/reassess"),
        ("get", "/assessments/{assessment_id}/initiatives"),
        ("put", "/assessments/{assessment_id}/initiatives/{key}/status"),
        ("get", "/assessments/{assessment_id}/benchmark"),
        ("get", "/assessments/{assessment_id}/benchmark/dataset"),
        ("get", "/organizations/{organization_id}/benchmarks"),
        ("put", "/organizations/{organization_id}/benchmarks"),
        ("post", "/organizations/{organization_id}/benchmarks/datasets"),
        ("delete", "/organizations/{organization_id}/benchmarks/datasets/{dataset_id}"),
        ("get", "/organizations/{organization_id}/outcomes/imports"),
        ("post", "/organizations/{organization_id}/outcomes/imports"),
        ("delete", "/organizations/{organization_id}/outcomes/imports/{source_id}"),
        ("post", "/organizations/{organization_id}/outcomes/suggestions"),
        ("get", "/organizations/{organization_id}/outcomes/summary"),
        ("get", "/organizations/{organization_id}/outcomes/asset"),
        ("get", "/organizations/{organization_id}/outcomes/drivers"),
        ("put", "/organizations/{organization_id}/outcomes/watched"),
        ("delete", "/organizations/{organization_id}/outcomes/watched"),
        ("get", "/organizations/{organization_id}/scorecard"),
        ("get", "/assessments/{assessment_id}/success-measures"),
        ("put", "/assessments/{assessment_id}/success-measures/{key}"),
        ("delete", "/assessments/{assessment_id}/success-measures/{key}"),
        ("post", "/assessments/{assessment_id}/workshop"),
        ("get", "/assessments/{assessment_id}/workshop"),
        ("post", "/assessments/{assessment_id}/workshop/actions"),
        ("get", "/assessments/{assessment_id}/workshop/record"),
        ("get", "/assessments/{assessment_id}/commitments"),
        ("put", "/assessments/{assessment_id}/commitments"),
        ("post", "/assessments/{assessment_id}/invitations/email"),
        ("get", "/assessments/{assessment_id}/schedule"),
        ("put", "/assessments/{assessment_id}/schedule"),
        ("get", "/assessments/{assessment_id}/outbox"),
        ("post", "/assessments/{assessment_id}/outbox/retry"),
        ("get", "/organizations/{organization_id}/units"),
        ("post", "/organizations/{organization_id}/units"),
        ("post", "/organizations/{organization_id}/units/import"),
        ("patch", "/units/{unit_id}"),
        ("delete", "/units/{unit_id}"),
        ("post", "/units/{unit_id}/leaders"),
        ("delete", "/units/{unit_id}/leaders/{user_id}"),
        ("get", "/units/{unit_id}"),
        ("put", "/assessments/{assessment_id}/units"),
        ("get", "/assessments/{assessment_id}/units"),
        ("get", "/organizations/{organization_id}/sso"),
        ("put", "/organizations/{organization_id}/sso"),
        ("post", "/join"),
        ("get", "/join/state"),
        ("post", "/join/actions"),
        ("get", "/assessments/{assessment_id}/quick-link"),
        ("put", "/assessments/{assessment_id}/quick-link"),
        ("delete", "/assessments/{assessment_id}/quick-link"),
        ("post", "/assessments/{assessment_id}/full-assessment"),
        ("get", "/quick-links/{link_token}"),
        ("post", "/quick-links/{link_token}/answers"),
        ("get", "/jobs/{job_id}"),
        ("get", "/jobs/{job_id}/report"),
        ("post", "/assessments/{assessment_id}/report-jobs"),
    }
    found = {(m, p.removeprefix(V1)) for p, ops in paths.items() if p.startswith(V1) for m in ops}
    assert found == expected
    for path, method in [(V1 + p, m) for m, p in expected]:
        operation = paths[path][method]
        assert operation["tags"], path
        success = next(code for code in operation["responses"] if code.startswith("2"))
        downloads = path.endswith((".csv", ".ics", "/report")) or "/export/" in path
        # Downloads are files (CSV, iCalendar, HTML, PDF, XLSX), not JSON models; a 204 has no body at all.
        if not downloads and success != "204":
            assert "$ref" in json.dumps(operation["responses"][success]), (method, path)
        # Respondents, quick-link answerers and workshop participants are anonymous: a link or a join code, never an
        # API token.
        respondent = path.startswith((f"{V1}/respond/", f"{V1}/join", f"{V1}/quick-links/"))
        assert ("security" in operation) is not respondent, (method, path)
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "description": document["components"]["securitySchemes"]["ApiToken"]["description"],
        "scheme": "bearer",
    }
    assert {"AssessmentPublic", "AssessmentCreate", "ResultPublic", "RespondentPublic", "ErrorPublic"} <= set(
        document["components"]["schemas"]
    )
    assert "/healthz" in paths


def test_it_refuses_a_nul_character_in_text_naming_the_field(site: Site, cast: Cast) -> None:
    # Findings 9 and 10 of issue 12: PostgreSQL answered "a number in the request is out of range" to a NUL in a
    # comment, and SQLite stored NUL characters in names.
    token = _invite(site, cast)
    comp = FW.competencies[0]
    first = comp.indicators[0]
    body = {"answers": {first.key: "dk"}, "comments": {first.key: "before\x00after"}}
    refused = Api(site.client(), None).put(f"/respond/{token}/pages/{comp.key}", body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "comment"
    assert refused.json()["detail"].startswith("comment: text may not contain the NUL character")
    assert _saved_rows(site, token) == []
    owner = api(site, cast.owner)
    named = owner.post("/organizations", {"name": "Nul\x00Corp"})
    assert named.status_code == 422, named.text
    assert named.json()["field"] == "name"
    assert all("\x00" not in o["name"] for o in ok(owner.get("/organizations")))
