"""No padding (issue 12): answers the facilitator imported, or gave through links he held, never make a group visible
that the respondents invited by e-mail alone would not: not in the results JSON, the results page, the answers
export's group labels or the comments export. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass

from cxmaturity.services import assessments, respond
from cxmaturity.services.access import Actor
from cxmaturity.services.respond import PageInput
from cxmaturity.storage.database import transaction
from tests.support.queue import drain, mail_settings
from tests.support.smtp import smtp_server
from tests.web.conftest import Cast, Site
from tests.web.test_exports import Api
from tests.web.test_results_page import FW, _answer

SECRET = "Only the CEO would say this"


@dataclass
class Board:
    id: int
    board: str
    staff: str
    group_ids: dict[str, int]


def _assessment(site: Site, cast: Cast) -> Board:
    """An open assessment with groups Board and Staff (names unique to the test) and a minimum group size of 3."""
    suffix = secrets.token_hex(3)
    board, staff = f"Board-{suffix}", f"Staff-{suffix}"
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, actor, cast.org_a, f"Padding {suffix}", "builtin:xm-six-competencies", groups=[board, staff]
        )
        assert created.min_group_size == 3
        assessments.set_status(db, actor, created.id, "open")
        group_ids = {g.name: g.id for g in assessments.groups(db, created.id)}
    return Board(created.id, board, staff, group_ids)


def _emailed(site: Site, cast: Cast, target: Board, group: str, count: int) -> list[str]:
    """Invite ``count`` addresses by e-mail through the page (a real SMTP server); return the tokens they received."""
    client = site.client(cast.facilitator)
    page = f"/assessments/{target.id}"
    addresses = "\n".join(f"p{n}-{secrets.token_hex(3)}@example.com" for n in range(count))
    with smtp_server() as (inbox, port), mail_settings(site, port):
        data = {"group": str(target.group_ids[group]), "delivery": "email", "emails": addresses}
        assert client.submit(page, f"{page}/invitations", data).status_code == 303
        drain(site)  # the queue's worker sends them
    # Only this call's messages: the queue may also send what other tests left for it.
    bodies = [message.get_content() for to, message in inbox.messages if to[0] in addresses.split("\n")]
    return [re.findall(r"https://testserver/r/([A-Za-z0-9_-]+)", body)[0] for body in bodies]


def _held_csv(site: Site, cast: Cast, target: Board, group: str, count: int) -> list[str]:
    """Download ``count`` links as CSV through the page, as a facilitator who means to answer them himself."""
    client = site.client(cast.facilitator)
    page = f"/assessments/{target.id}"
    data = {"group": str(target.group_ids[group]), "count": str(count), "delivery": "csv"}
    response = client.submit(page, f"{page}/invitations", data)
    assert response.status_code == 200, response.text
    return [row["link"].rsplit("/", 1)[1] for row in csv.DictReader(io.StringIO(response.text))]


def _answer_all(site: Site, token: str, level: float, comment: str | None = None) -> None:
    with transaction(site.sessions) as db:
        for comp in FW.competencies:
            page = PageInput()
            for ind in comp.indicators:
                page.answers[ind.key] = _answer(ind, level)
            if comment and comp is FW.competencies[0]:
                page.comments[comp.indicators[0].key] = comment
            respond.save_page(db, token, comp.key, page)
        respond.finish(db, token)


def _import_into(site: Site, cast: Cast, target: Board, group: str, count: int) -> None:
    """Import ``count`` invented respondents into ``group`` through the API, as in the issue."""
    lines = [",".join(["respondent", "group", *FW.indicator_keys])]
    for r in range(count):
        lines.append(",".join([f"invented{r}", group, *(_answer(ind, 0.5) for _, ind in FW.indicators)]))
    body = {"text": "\n".join(lines) + "\n", "filename": "invented.csv"}
    response = Api(site, cast.facilitator).post(f"/assessments/{target.id}/answers/import", body)
    assert response.status_code == 201, response.text


def _staff_and_ceo(site: Site, cast: Cast) -> Board:
    """Board: the CEO alone, invited by e-mail and leaving a comment; Staff: three invited by e-mail."""
    target = _assessment(site, cast)
    (ceo,) = _emailed(site, cast, target, target.board, 1)
    _answer_all(site, ceo, 0.9, comment=SECRET)
    for token in _emailed(site, cast, target, target.staff, 3):
        _answer_all(site, token, 0.3)
    return target


def _shown(site: Site, cast: Cast, target: Board) -> dict[str, object]:
    """Where a viewer sees the groups: results JSON, the results page, the answers and comments exports."""
    viewer = site.client(cast.viewer)
    results = Api(site, cast.viewer).get(f"/assessments/{target.id}/results")
    assert results.status_code == 200, results.text
    page = viewer.get(f"/assessments/{target.id}/results")
    assert page.status_code == 200
    answers = viewer.get(f"/assessments/{target.id}/export/answers.csv")
    comments = viewer.get(f"/assessments/{target.id}/export/comments.json")
    assert answers.status_code == comments.status_code == 200
    comment_groups = {c["comment"]: c["group"] for c in json.loads(comments.content)["comments"]}
    return {
        "results": sorted(g["group"] for g in results.json()["groups"]),
        "page": sorted(name for name in (target.board, target.staff) if f'<th scope="row">{name}</th>' in page.text),
        "answers": sorted({row["group"] for row in csv.DictReader(io.StringIO(answers.content.decode("utf-8-sig")))}),
        "comment": comment_groups[SECRET],
        "respondents": results.json()["respondents"],
    }


def test_importing_two_invented_respondents_does_not_reveal_the_ceo(site: Site, cast: Cast) -> None:
    target = _staff_and_ceo(site, cast)
    before = _shown(site, cast, target)
    assert before == {"results": [], "page": [], "answers": [""], "comment": None, "respondents": 4}
    _import_into(site, cast, target, target.board, 2)
    after = _shown(site, cast, target)
    # Board has three respondents now, but only one the facilitator did not supply: nothing is named.
    assert after == {"results": [], "page": [], "answers": [""], "comment": None, "respondents": 6}


def test_answering_links_the_facilitator_downloaded_does_not_reveal_the_ceo(site: Site, cast: Cast) -> None:
    target = _staff_and_ceo(site, cast)
    for token in _held_csv(site, cast, target, target.board, 2):
        _answer_all(site, token, 0.5)
    assert _shown(site, cast, target) == {"results": [], "page": [], "answers": [""], "comment": None, "respondents": 6}


def test_three_board_members_invited_by_e_mail_show_board(site: Site, cast: Cast) -> None:
    target = _staff_and_ceo(site, cast)
    for token in _emailed(site, cast, target, target.board, 2):
        _answer_all(site, token, 0.8)
    both = sorted([target.board, target.staff])
    shown = {"results": both, "page": both, "answers": both, "comment": target.board, "respondents": 6}
    assert _shown(site, cast, target) == shown
