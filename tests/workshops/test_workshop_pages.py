"""The workshop's pages on SQLite and PostgreSQL: the facilitator starts and drives it, phones join by code, vote,
commit; bad input gets a clear message and changes nothing; hidden votes are in no page before the reveal."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.support.site import Cast, Site
from tests.web.client import WebClient
from tests.workshops.support import Answered, answered_assessment, reassessed_after_commitments

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def team(site: Site, cast: Cast) -> Answered:
    return answered_assessment(site, cast, "Workshop pages team")


def _act(client: WebClient, team: Answered, csrf: str, action: str, **fields: object) -> dict[str, object]:
    response = client.post(
        f"/assessments/{team.assessment}/workshop/actions",
        data={"csrf_token": csrf, "action": action, **{k: str(v) for k, v in fields.items()}},
        headers=JSON,
    )
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


def _phone(site: Site, code: str) -> tuple[WebClient, str]:
    phone = site.client()
    csrf = phone.csrf("/join")
    joined = phone.post("/join", data={"code": code, "csrf_token": csrf})
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == "/workshop/room"
    return phone, phone.csrf("/workshop/room")


def test_a_workshop_from_start_to_record(site: Site, cast: Cast, team: Answered) -> None:
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{team.assessment}/workshop"
    assert "Start a workshop" in facilitator.get(page).text
    started = facilitator.submit(page, page)
    assert started.status_code == 303
    control = facilitator.get(page).text
    code = re.search(r'id="ws-code" class="ws-code">([A-Z0-9]{6})<', control)
    assert code, control
    csrf = facilitator.csrf(page)
    items = [int(i) for i in re.findall(r'data-item="(\d+)"', control)]
    assert len(items) >= 3

    # A wrong code: a clear message, no participant cookie.
    stranger = site.client()
    wrong = stranger.post(
        "/join",
        data={"code": "ZZZZZZ" if code.group(1) != "ZZZZZZ" else "YYYYYY", "csrf_token": stranger.csrf("/join")},
    )
    assert wrong.status_code == 422
    assert "not valid" in wrong.text
    assert "cxm_workshop" not in stranger.cookies

    phones = [_phone(site, code.group(1).lower()) for _ in range(3)]
    assert _act(facilitator, team, csrf, "show", item_id=items[1])["status"] == 200
    assert _act(facilitator, team, csrf, "open_vote", item_id=items[1])["status"] == 200
    room = phones[0][0].get("/workshop/room").text
    options = re.findall(r'name="option" value="([^"]+)"', room)
    assert len(options) >= 2
    for n, (phone, token) in enumerate(phones):
        voted = phone.post(
            "/workshop/room",
            data={"csrf_token": token, "action": "vote", "item_id": items[1], "round": 1, "option": options[n % 2]},
            headers=JSON,
        )
        assert voted.status_code == 200, voted.text
    again = phones[0][0].post(
        "/workshop/room",
        data={"csrf_token": phones[0][1], "action": "vote", "item_id": items[1], "round": 1, "option": options[1]},
        headers=JSON,
    )
    assert again.status_code == 409
    assert "voted in this round already" in again.json()["detail"]
    # Hidden before the reveal: no page shows how anyone voted, only how many.
    for html in (facilitator.get(page).text, phones[1][0].get("/workshop/room").text):
        # The script's texts (a JSON block of templates like "Votes in round %(round)s") are not the state shown.
        assert '"votes_in_round": "Votes in round %(round)s"' in html
        html = re.sub(r'<script type="application/json" id="ws-texts">.*?</script>', "", html, flags=re.S)
        assert "Votes in round" not in html
        assert "3 of 3 voted" in html
    assert _act(facilitator, team, csrf, "reveal", item_id=items[1])["status"] == 200
    shown = facilitator.get(page).text
    assert "Votes in round 1" in shown

    # An agreed answer outside the options changes nothing; a good one is recorded.
    indicator = re.search(r'name="indicator" value="([^"]+)"', shown)
    assert indicator
    bad = _act(facilitator, team, csrf, "agree", indicator=indicator.group(1), option="dk", rationale="x")
    assert bad["status"] == 422
    assert bad["field"] == "option"
    good = _act(
        facilitator, team, csrf, "agree", indicator=indicator.group(1), option=options[0], rationale="We saw it"
    )
    assert good["status"] == 200
    assert "Agreed:" in phones[2][0].get("/workshop/room").text

    # A vote after the room moved on.
    _act(facilitator, team, csrf, "show", item_id=items[2])
    late = phones[2][0].post(
        "/workshop/room",
        data={"csrf_token": phones[2][1], "action": "vote", "item_id": items[1], "round": 1, "option": options[0]},
        headers=JSON,
    )
    assert late.status_code == 409
    assert "moved on" in late.json()["detail"]

    commit = phones[0][0].post(
        "/workshop/room",
        data={
            "csrf_token": phones[0][1],
            "action": "commit",
            "who": "Anna",
            "what": "Call ten customers",
            "by_when": "2099-03-01",
            "visibility": "public",
        },
        headers=JSON,
    )
    assert commit.status_code == 200, commit.text
    competency = re.search(r'name="competency"><option value="([^"]+)"', shown)
    assert competency
    step = _act(
        facilitator,
        team,
        csrf,
        "next_step",
        title="Open a customer room",
        owner="COO",
        competency=competency.group(1),
        duration=2,
    )
    assert step["status"] == 200
    assert _act(facilitator, team, csrf, "plan")["status"] == 200
    plan = facilitator.get(f"/assessments/{team.assessment}/plan").text
    assert "Open a customer room" in plan
    assert "COO" in plan
    presenter = facilitator.get(f"{page}/present").text
    assert "<svg" in presenter
    assert code.group(1) in presenter
    assert _act(facilitator, team, csrf, "finish")["status"] == 200
    record = facilitator.get(f"{page}/record").text
    assert "Call ten customers" in record
    assert "As surveyed and as agreed" in record
    assert "We saw it" in record
    # The report's workshop section: as surveyed beside as agreed, the agreed answer, the public commitment.
    report = facilitator.get(f"/assessments/{team.assessment}/report.html").text
    assert '<h2 id="workshop-heading">Workshop</h2>' in report
    assert "as agreed" in report
    assert "We saw it" in report
    assert "Call ten customers" in report
    assert "Open a customer room" in report
    # The exports: the "all" export holds the record (JSON) and its tables (a sheet each).
    everything = facilitator.get(f"/assessments/{team.assessment}/export/all.json")
    assert everything.status_code == 200
    record_json = everything.json()["workshop"]
    assert record_json["agreed"][0]["rationale"] == "We saw it"
    assert [c["what"] for c in record_json["commitments"]] == ["Call ten customers"]
    assert sum(record_json["items"][1]["rounds"][0].values()) == 3
    book = facilitator.get(f"/assessments/{team.assessment}/export/all.zip")
    assert book.status_code == 200
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        names = archive.namelist()
        votes = archive.read(next(n for n in names if "workshop_votes" in n)).decode("utf-8-sig")
    assert any("workshop_agreed" in n for n in names)
    assert "Round" not in votes  # counts per option and round, nothing per person
    # The code died with the workshop.
    late_joiner = site.client()
    gone = late_joiner.post("/join", data={"code": code.group(1), "csrf_token": late_joiner.csrf("/join")})
    assert gone.status_code == 422


def test_event_streams_answer_204_without_a_running_workshop(site: Site, cast: Cast) -> None:
    assert site.client().get("/workshop/events").status_code == 204
    facilitator = site.client(cast.facilitator)
    fresh = answered_assessment(site, cast, "No workshop yet")
    assert facilitator.get(f"/assessments/{fresh.assessment}/workshop/events").status_code == 204


def test_the_next_assessments_progress_page_shows_which_commitments_were_kept(
    site: Site, cast: Cast, team: Answered
) -> None:
    later_id = reassessed_after_commitments(site, cast, team, "Workshop pages team, a year on")
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{later_id}/progress"
    shown = facilitator.get(page).text
    assert "Commitments from the last workshop" in shown
    assert "Read every complaint" in shown  # private ones: facilitators only
    ids = re.findall(r'name="kept:(\d+)"', shown)
    assert len(ids) == 2
    saved = facilitator.submit(page, f"/assessments/{later_id}/commitments", {f"kept:{ids[0]}": "yes"})
    assert saved.status_code == 303
    viewer = site.client(cast.viewer).get(page).text
    assert "Visit five stores" in viewer
    assert "Read every complaint" not in viewer
    assert "kept" in viewer.split("Visit five stores", 1)[1][:400]
    bad = facilitator.submit(page, f"/assessments/{later_id}/commitments", {"kept:999999": "yes"})
    assert bad.status_code == 422


def test_a_discussion_item_shows_its_statement_once(site: Site, cast: Cast) -> None:
    """A discussion item's title is its statement: the screens do not repeat it underneath as the question (a phone
    showed the same sentence twice), while an item about a competency still shows the question it votes on."""
    team = answered_assessment(site, cast, "Workshop statement once")
    facilitator = site.client(cast.facilitator)
    page = f"/assessments/{team.assessment}/workshop"
    assert facilitator.submit(page, page).status_code == 303
    control = facilitator.get(page).text
    csrf = facilitator.csrf(page)
    code = re.search(r'id="ws-code" class="ws-code">([A-Z0-9]{6})<', control)
    assert code, control
    entries = re.findall(r'data-item="(\d+)">\s*<span class="badge">([^<]+)</span>', control)
    discussion = next(int(i) for i, kind in entries if kind == "discussion")
    competency = next(int(i) for i, kind in entries if kind != "discussion")
    phone, _ = _phone(site, code.group(1))

    assert _act(facilitator, team, csrf, "show", item_id=discussion)["status"] == 200
    for html in (phone.get("/workshop/room").text, facilitator.get(page).text, facilitator.get(f"{page}/present").text):
        title = re.search(r'<h2 id="ws-item-title">([^<]+)</h2>', html)
        assert title, html
        assert 'class="ws-question"' not in html

    assert _act(facilitator, team, csrf, "show", item_id=competency)["status"] == 200
    room = phone.get("/workshop/room").text
    assert re.search(r'<p class="ws-question">[^<]+</p>', room)
