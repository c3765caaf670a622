"""One organization's heavy work never holds up another's respondents (issue 12, finding 2).

On SQLite one writer at a time holds the database. Before, every transaction took that lock (BEGIN IMMEDIATE) and kept
it while Python computed: a results page being scored, an export being rendered or an import being parsed and written
made every respondent of the installation wait. Now a reading request holds no lock, and an import writes in short
batches that nobody sees until its last, short transaction. Run on both databases.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cxmaturity import scoring
from cxmaturity.scoring import ResponseMatrix
from cxmaturity.services import access, imports, respond, results, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import create_invitations
from cxmaturity.services.errors import Conflict
from cxmaturity.services.respond import PageInput
from cxmaturity.storage.database import reading, transaction
from cxmaturity.storage.tables import Answer, Invitation, RespondentGroup
from tests.support.timing import timed
from tests.web.conftest import Cast, Site
from tests.web.test_api import answers_csv
from tests.web.test_results_page import FW, Filled, fill

#: How long the slowed-down work takes, and how quickly a respondent's save must get through meanwhile.
SLOW = 1.5
QUICK = 0.6


def _respondent(site: Site, cast: Cast) -> str:
    """An invitation to another open assessment (another organization's respondent, as far as locks go)."""
    other = fill(site, cast, {"Team": (1, 0.5)})
    with transaction(site.sessions) as db:
        (token,) = create_invitations(db, Actor(cast.facilitator), other.id, None, 1)
    return token


def _save_seconds(site: Site, token: str) -> float:
    """Save a page as a respondent does (the same service, in a write transaction); return how long it took."""
    comp = FW.competencies[0]
    page = PageInput(answers={ind.key: FW.answer_keys(ind)[0] for ind in comp.indicators})
    start = time.monotonic()
    with transaction(site.sessions) as db:
        respond.save_page(db, token, comp.key, page)
    return time.monotonic() - start


def _counts(site: Site, assessment_id: int) -> tuple[int, int, int, int]:
    with reading(site.sessions) as db:
        return (
            db.scalar(select(func.count()).select_from(Invitation).where(Invitation.assessment_id == assessment_id))
            or 0,
            db.scalar(select(func.count()).select_from(Answer).where(Answer.assessment_id == assessment_id)) or 0,
            db.scalar(
                select(func.count()).select_from(RespondentGroup).where(RespondentGroup.assessment_id == assessment_id)
            )
            or 0,
            revisions.current(db, assessment_id),
        )


@pytest.fixture
def team(site: Site, cast: Cast) -> Filled:
    return fill(site, cast, {"North": (3, 0.7), "South": (3, 0.3)})


@timed
def test_a_save_gets_through_while_results_are_being_scored(
    site: Site, cast: Cast, team: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _respondent(site, cast)
    real_score = scoring.score
    started = threading.Event()

    def slow_score(*args: Any, **kwargs: Any) -> Any:
        started.set()
        time.sleep(SLOW)
        return real_score(*args, **kwargs)

    monkeypatch.setattr(results, "score", slow_score)
    viewer = site.client(cast.viewer)
    page: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: page.update(r=viewer.get(f"/assessments/{team.id}/results")))
    reader.start()
    try:
        assert started.wait(10), "the results page never scored"
        seconds = _save_seconds(site, token)
        still_scoring = reader.is_alive()
    finally:
        reader.join(30)
    assert page["r"].status_code == 200
    assert still_scoring, "the results were scored before the save was tried: the test proves nothing"
    # Before, the page's transaction held the writer lock while it scored: the save waited the whole SLOW.
    assert seconds < QUICK, f"a respondent's save waited {seconds:.2f} s behind a results page"
    with reading(site.sessions) as db:
        assert results.results_of(db, access.assessment(db, Actor(cast.viewer), team.id, "viewer"))


@timed
def test_a_save_gets_through_while_an_export_is_rendered(
    site: Site, cast: Cast, team: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _respondent(site, cast)
    real = results.with_answers
    rendering = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        rendering.set()
        time.sleep(SLOW)
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "with_answers", slow)
    viewer = site.client(cast.facilitator)
    page: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: page.update(r=viewer.get(f"/assessments/{team.id}/export/answers.xlsx")))
    reader.start()
    try:
        assert rendering.wait(10), "the export never started"
        seconds = _save_seconds(site, token)
        still_rendering = reader.is_alive()
    finally:
        reader.join(30)
    assert page["r"].status_code == 200, page["r"].text[:300]
    assert still_rendering
    assert seconds < QUICK, f"a respondent's save waited {seconds:.2f} s behind an export"


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Batches of 2 respondents, so that a file of 8 is written in 4."""
    monkeypatch.setattr(imports, "BATCH_ANSWERS", 2 * len(FW.indicator_keys))
    monkeypatch.setattr(imports, "BATCH_ANSWERS_POSTGRESQL", 2 * len(FW.indicator_keys))
    return 2


@timed
def test_an_import_is_written_in_batches_that_nobody_sees_until_the_last(
    site: Site, cast: Cast, team: Filled, small_batches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _respondent(site, cast)
    before = _counts(site, team.id)
    with reading(site.sessions) as db:
        seen_before = results.results_of(db, access.assessment(db, Actor(cast.viewer), team.id, "viewer"))
    between: list[tuple[float, int, tuple[int, int, int, int]]] = []
    real_batches = imports._batches

    def watched(responses: ResponseMatrix, answers: int) -> Iterator[range]:
        for batch in real_batches(responses, answers):
            yield batch
            # Between two batches: no writer lock is held, and no reader sees part of the import.
            with reading(site.sessions) as db:
                assessment = access.assessment(db, Actor(cast.viewer), team.id, "viewer")
                shown = results.results_of(db, assessment).result.respondents
            between.append((_save_seconds(site, token), shown, _counts(site, team.id)))

    monkeypatch.setattr(imports, "_batches", watched)
    count = imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "a.csv", answers_csv(8))
    assert count == 8
    assert len(between) == 8 // small_batches
    for n, (seconds, shown, (invitations, _, _, revision)) in enumerate(between, start=1):
        assert seconds < QUICK
        assert shown == seen_before.result.respondents  # the pending respondents are nobody's yet
        assert invitations == before[0] + n * small_batches  # written, batch by batch
        assert revision == before[3]
    invitations, answers, _, revision = _counts(site, team.id)
    assert invitations == before[0] + 8
    assert answers > before[1] + 8 * (len(FW.indicator_keys) - 4)
    assert revision == before[3] + 1
    with reading(site.sessions) as db:
        assessment = access.assessment(db, Actor(cast.viewer), team.id, "viewer")
        assert results.results_of(db, assessment).result.respondents == seen_before.result.respondents + 8


@pytest.mark.parametrize("fail_at", ["batch", "finish"])
def test_an_import_failing_midway_stores_nothing(
    site: Site, cast: Cast, team: Filled, small_batches: int, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    before = _counts(site, team.id)
    written = 0
    real_write = imports._write

    def failing_write(*args: Any, **kwargs: Any) -> None:
        nonlocal written
        if fail_at == "batch" and written == 2:
            raise OSError("disk full (simulated)")
        real_write(*args, **kwargs)
        written += 1

    monkeypatch.setattr(imports, "_write", failing_write)
    if fail_at == "finish":
        # The assessment is closed by someone else while the import writes: the last step refuses, all is undone.
        real_bump = revisions.bump

        def failing_bump(*args: Any, **kwargs: Any) -> None:
            raise OSError("connection lost (simulated)")

        monkeypatch.setattr(revisions, "bump", failing_bump)
    with pytest.raises(OSError, match="simulated"):
        # New groups too: "West" and "East" are not groups of the assessment yet.
        imports.import_answers(
            site.sessions,
            Actor(cast.facilitator),
            team.id,
            "a.csv",
            answers_csv(8).replace("North", "West").replace("South", "East"),
        )
    if fail_at == "finish":
        monkeypatch.setattr(revisions, "bump", real_bump)
    assert written == (2 if fail_at == "batch" else 4)
    assert _counts(site, team.id) == before  # no invitation, answer, group or revision left behind
    # A failed import does not count as imported: the same file is taken afterwards, once.
    monkeypatch.setattr(imports, "_write", real_write)
    same = answers_csv(8).replace("North", "West").replace("South", "East")
    assert imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "a.csv", same) == 8
    with pytest.raises(Conflict, match="holds the same answers as a file imported into"):
        imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "a.csv", same)


def test_the_same_file_imported_twice_at_once_is_imported_once(site: Site, cast: Cast, team: Filled) -> None:
    """Both imports pass the first check while neither is finished; the last step of the later one refuses it."""
    text = answers_csv(8)
    before = _counts(site, team.id)
    inner: list[int] = []

    def meanwhile(done: int, total: int) -> None:
        if not inner:  # the same file, sent again, finishes while the first is writing
            inner.append(imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "b.csv", text))

    with pytest.raises(Conflict, match=r"^a\.csv holds the same answers"):
        imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "a.csv", text, progress=meanwhile)
    assert inner == [8]
    assert _counts(site, team.id)[0] == before[0] + 8


def test_the_same_file_sent_twice_in_parallel_is_imported_once(site: Site, cast: Cast, team: Filled) -> None:
    """The second import reaches its last transaction while the first's is still open (its event written, not yet
    committed): it waits for the first to commit and is refused, instead of passing the check before that commit."""
    text = answers_csv(8)
    before = _counts(site, team.id)
    first_finishing = threading.Event()
    outcomes: dict[str, object] = {}

    def hold(db: Any, count: int) -> None:
        first_finishing.set()
        time.sleep(1)  # the second import meanwhile enters its last transaction

    def after_first(done: int, total: int) -> None:
        if done == total:
            assert first_finishing.wait(60)

    def send(name: str, **hooks: Any) -> None:
        try:
            outcomes[name] = imports.import_answers(
                site.sessions, Actor(cast.facilitator), team.id, name, text, **hooks
            )
        except Conflict as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=send, args=("a.csv",), kwargs={"finishing": hold}),
        threading.Thread(target=send, args=("b.csv",), kwargs={"progress": after_first}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes["a.csv"] == 8
    assert isinstance(outcomes["b.csv"], Conflict), outcomes
    assert _counts(site, team.id)[0] == before[0] + 8


def test_an_import_stores_exactly_what_the_file_says(site: Site, cast: Cast, team: Filled) -> None:
    """The bulk writers (COPY's text format on PostgreSQL, plain rows on SQLite) keep every value as written: comments
    with a backslash, a tab, line breaks and quotes, option keys, importance, groups and skipped cells."""
    first, second = FW.indicator_keys[:2]
    options = FW.answer_keys(FW.indicator(first))
    comment = 'back\\slash\ttab\nline "quoted" \\N \\t'
    text = (
        f"respondent,group,{first},{first}:importance,{first}:comment,{second}\n"
        f'a,West,{options[0]},4,"{comment.replace(chr(34), chr(34) * 2)}",dk\n'
        f"b,,{options[-1]},,,\n"
        f"c,West,na,2,,{options[0]}\n"
    )
    assert imports.import_answers(site.sessions, Actor(cast.facilitator), team.id, "f.csv", text) == 3
    with reading(site.sessions) as db:
        rows = db.execute(
            select(
                Invitation.id,
                RespondentGroup.name,
                Answer.indicator_key,
                Answer.option_key,
                Answer.importance,
                Answer.comment,
                Invitation.source,
            )
            .join(Answer, Answer.invitation_id == Invitation.id)
            .outerjoin(RespondentGroup, RespondentGroup.id == Invitation.group_id)
            .where(Invitation.assessment_id == team.id, Invitation.source == "import")
            .order_by(Invitation.id, Answer.indicator_key)
        ).all()
    stored = Counter((r[1], r[2], r[3], r[4], r[5]) for r in rows)
    assert stored == Counter(
        [
            ("West", first, options[0], 4, comment),
            ("West", second, "dk", None, None),
            (None, first, options[-1], None, None),
            ("West", first, "na", 2, None),
            ("West", second, options[0], None, None),
        ]
    )
    assert len({r[0] for r in rows}) == 3
