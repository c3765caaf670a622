"""A second writer process for the SQLite fault run.

It saves respondents' pages through the same service as the web pages (one transaction per page, the last page
finishing), without pause, and after every ``IMPORT_EVERY`` pages imports a batch of SYNTHETIC respondents into
another assessment in one longer transaction, as an answers import does. It goes on until its respondents are done
or it is sent SIGTERM, then writes to OUTPUT as JSON which pages it saved, how many respondents it imported, the
errors it met and how long each transaction took.

Usage: ``python -m bench.sqlite_writer SQLITE_URL ASSESSMENT_ID IMPORT_ASSESSMENT_ID TOKENS_FILE OUTPUT``
(TOKENS_FILE: one invitation token per line).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bench.survey import FRAMEWORK, Survey, questions
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments, respond
from cxmaturity.services.respond import PageInput
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import Assessment

IMPORT_EVERY = 50
IMPORT_SIZE = 20
MAX_ERRORS = 1000


def main(url: str, assessment_id: int, import_id: int, tokens: list[str]) -> dict[str, Any]:
    stop = False

    def _stop(_signal: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    survey = Survey(url, assessment_id, tokens, questions())
    fw = load_builtin(FRAMEWORK)
    competencies = [c.key for c in fw.competencies]
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    saved: dict[str, list[int]] = {t: [] for t in tokens}
    finished: list[str] = []
    errors: list[str] = []
    times: dict[str, list[float]] = {"save": [], "import": []}
    imported = 0

    def attempt(kind: str, work: Callable[[Session], object]) -> bool:
        began = time.perf_counter()
        try:
            with transaction(sessions) as db:
                work(db)
            return True
        except Exception as exc:  # every failure is what this run looks for: record it, and try again
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return False
        finally:
            times[kind].append(time.perf_counter() - began)

    def save(db: Session, token: str, page: int) -> None:
        form = survey.form(token, page)
        keys = [q.key for q in survey.pages[page - 1]]
        data = PageInput(
            answers={k: form[f"answer:{k}"] for k in keys},
            importance={k: form[f"importance:{k}"] for k in keys},
            comments={k: form[f"comment:{k}"] for k in keys},
        )
        v = respond.visit(db, token, lock=True)
        v = respond.save_page(db, token, competencies[page - 1], data, current=v)
        if page == len(competencies):
            respond.finish(db, token, current=v)

    def import_batch(db: Session) -> None:
        assessment = db.get(Assessment, import_id)
        assert assessment is not None
        responses = demo_responses(fw, seed=imported + 1, groups=(("All", 0.0, IMPORT_SIZE),))
        groups = {g.name: g.id for g in assessments.groups(db, import_id)}
        assessments.store_responses(db, assessment, responses, groups)

    saves = 0
    for token in tokens:
        page = 1
        while page <= len(competencies) and not stop and len(errors) < MAX_ERRORS:
            if not attempt("save", lambda db: save(db, token, page)):  # noqa: B023  (called at once)
                continue
            saved[token].append(page)
            finished += [token] if page == len(competencies) else []
            page += 1
            saves += 1
            if saves % IMPORT_EVERY == 0 and attempt("import", import_batch):
                imported += IMPORT_SIZE
    engine.dispose()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the result is written whole
    return {
        "saved": saved,
        "finished": finished,
        "imported": imported,
        "errors": errors,
        "seconds": times,
        "stopped": stop,
    }


if __name__ == "__main__":
    tokens = Path(sys.argv[4]).read_text(encoding="utf-8").split()
    result = main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), tokens)
    Path(sys.argv[5]).write_text(json.dumps(result), encoding="utf-8")
