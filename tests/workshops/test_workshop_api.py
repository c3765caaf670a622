"""The workshop's JSON API on SQLite and PostgreSQL: a facilitator's tool starts and drives a workshop, participants
join by code and vote with their token; refusals are JSON with the field named, and change nothing."""

from __future__ import annotations

import pytest

from cxmaturity.services import accounts
from cxmaturity.storage.database import transaction
from tests.support.site import Cast, Site
from tests.web.client import WebClient
from tests.workshops.support import Answered, answered_assessment, reassessed_after_commitments


@pytest.fixture(scope="module")
def team(site: Site, cast: Cast) -> Answered:
    return answered_assessment(site, cast, "Workshop API team")


def _bearer(site: Site, user_id: int) -> dict[str, str]:
    with transaction(site.sessions) as db:
        return {"Authorization": f"Bearer {accounts.create_api_token(db, user_id, 'workshop tests')}"}


def test_a_tool_drives_a_workshop_through_the_api(site: Site, cast: Cast, team: Answered) -> None:
    api = site.client()
    facilitator = _bearer(site, cast.facilitator)
    viewer = _bearer(site, cast.viewer)
    base = f"/api/v1/assessments/{team.assessment}/workshop"
    assert api.post(base, headers=viewer).status_code == 403
    started = api.post(base, headers=facilitator)
    assert started.status_code == 201, started.text
    state = started.json()
    code = state["join_code"]
    assert state["agenda"][0]["kind"] == "holds_back"
    assert api.post(base, headers=facilitator).status_code == 409  # one at a time

    phones: list[tuple[WebClient, str]] = []
    for _ in range(4):
        phone = site.client()
        joined = phone.post("/api/v1/join", json={"code": code})
        assert joined.status_code == 200, joined.text
        phones.append((phone, joined.json()["token"]))
    assert site.client().post("/api/v1/join", json={"code": "nope"}).status_code == 404

    item = state["agenda"][0]["id"]
    shown = api.post(f"{base}/actions", headers=facilitator, json={"action": "show", "item_id": item})
    assert shown.status_code == 200
    opened = api.post(f"{base}/actions", headers=facilitator, json={"action": "open_vote", "item_id": item}).json()
    options = [o["key"] for o in opened["item"]["options"]]
    for phone, token in phones:
        voted = phone.post(
            "/api/v1/join/actions",
            headers={"X-Participant-Token": token},
            json={"action": "vote", "item_id": item, "round": 1, "option": options[-1]},
        )
        assert voted.status_code == 200, voted.text
        assert voted.json()["me"]["vote"] == options[-1]
        assert voted.json()["item"]["votes"] is None
    phone, token = phones[0]
    twice = phone.post(
        "/api/v1/join/actions",
        headers={"X-Participant-Token": token},
        json={"action": "vote", "item_id": item, "round": 1, "option": options[0]},
    )
    assert twice.status_code == 409
    before = api.get(base, headers=facilitator).json()
    assert before["item"]["votes_cast"] == 4
    assert before["item"]["votes"] is None
    revealed = api.post(f"{base}/actions", headers=facilitator, json={"action": "reveal", "item_id": item}).json()
    assert revealed["item"]["votes"][options[-1]] == 4

    indicator = revealed["item"]["indicator"]
    outside = api.post(
        f"{base}/actions",
        headers=facilitator,
        json={"action": "agree", "indicator": indicator, "option": "na", "rationale": "x"},
    )
    assert outside.status_code == 422
    assert outside.json()["field"] == "option"
    agreed = api.post(
        f"{base}/actions",
        headers=facilitator,
        json={"action": "agree", "indicator": indicator, "option": options[-1], "rationale": "The data says so"},
    )
    assert agreed.json()["item"]["agreed"]["option"] == options[-1]
    assert api.post(f"{base}/actions", headers=facilitator, json={"action": "dance"}).status_code == 422
    assert api.post(f"{base}/actions", headers=facilitator, json={"action": "finish"}).status_code == 200
    record = api.get(f"{base}/record", headers=viewer)
    assert record.status_code == 200
    body = record.json()
    assert body["record"]["agreed"][0]["option"] == options[-1]
    assert body["record"]["items"][0]["rounds"] == [revealed["item"]["votes"]]
    assert body["as_agreed"]["framework"] == "xm-six-competencies"
    ended = phone.post(
        "/api/v1/join/actions",
        headers={"X-Participant-Token": token},
        json={"action": "commit", "what": "x", "by_when": "2099-01-01"},
    )
    assert ended.status_code == 409


def test_a_tool_reviews_the_previous_workshops_commitments_through_the_api(
    site: Site, cast: Cast, team: Answered
) -> None:
    later_id = reassessed_after_commitments(site, cast, team, "API team, a year on")
    url = f"/api/v1/assessments/{later_id}/commitments"
    client = site.client()
    listed = client.get(url, headers=_bearer(site, cast.facilitator))
    assert listed.status_code == 200, listed.text
    by_what = {c["what"]: c for c in listed.json()}
    assert set(by_what) == {"Visit five stores", "Read every complaint"}
    assert all(c["kept"] is None for c in by_what.values())
    visit, private = by_what["Visit five stores"]["id"], by_what["Read every complaint"]["id"]

    saved = client.request(
        "PUT", url, json={"kept": {str(visit): True, str(private): False}}, headers=_bearer(site, cast.facilitator)
    )
    assert saved.status_code == 200, saved.text
    assert {c["what"]: c["kept"] for c in saved.json()} == {"Visit five stores": True, "Read every complaint": False}

    # Viewers read the public ones only, and may not mark any.
    seen = client.get(url, headers=_bearer(site, cast.viewer)).json()
    assert [(c["what"], c["kept"]) for c in seen] == [("Visit five stores", True)]
    assert (
        client.request("PUT", url, json={"kept": {str(visit): None}}, headers=_bearer(site, cast.viewer)).status_code
        == 403
    )

    # An id that is not under review is refused by field, and nothing changes.
    unknown = client.request(
        "PUT", url, json={"kept": {"999999": True, str(visit): None}}, headers=_bearer(site, cast.facilitator)
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "kept"
    after = client.get(url, headers=_bearer(site, cast.facilitator)).json()
    assert {c["what"]: c["kept"] for c in after} == {"Visit five stores": True, "Read every complaint": False}
