"""SQLite shared by several processes (server workers, the command line): a process that writes without pause must
not keep the others waiting until their busy timeout runs out ("database is locked")."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from cxmaturity.storage.database import ProcessLock, make_engine

#: Writes transactions of 20 ms back to back until told to stop (or for LIMIT seconds), then prints how many.
HOG = """
import sys, time
from pathlib import Path
from cxmaturity.storage.database import ProcessLock, make_engine
engine = make_engine(sys.argv[1])
ready, stop, end, made = Path(sys.argv[2]), Path(sys.argv[3]), time.monotonic() + float(sys.argv[4]), 0
while not stop.exists() and time.monotonic() < end:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO note (who) VALUES ('hog')")
        time.sleep(0.02)
    made += 1
    ready.touch()
print(made)
"""
LIMIT = 6.0


def test_a_process_that_writes_without_pause_lets_another_write_in_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, who TEXT)")
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    hog = subprocess.Popen(
        [sys.executable, "-c", HOG, url, str(ready), str(stop), str(LIMIT)], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        waits = []
        for _ in range(10):
            began = time.monotonic()
            with engine.begin() as connection:
                waits.append(time.monotonic() - began)
                connection.exec_driver_sql("INSERT INTO note (who) VALUES ('turn')")
        hog_running = hog.poll() is None
        stop.touch()
        made = int(hog.communicate(timeout=30)[0])
    finally:
        if hog.poll() is None:
            hog.kill()
    with engine.connect() as connection:
        counts: dict[str, int] = dict(connection.execute(sa.text("SELECT who, count(*) FROM note GROUP BY who")).all())
    engine.dispose()
    # Waiting in turn means waiting for about one of the hog's transactions (20 ms), not for the hog to stop.
    assert hog_running, "the hog stopped before this process had its turns: the test proves nothing"
    assert max(waits) < 1.0, waits
    assert counts == {"hog": made, "turn": 10}
    assert made >= 1


def test_the_lock_between_processes_waits_no_longer_than_asked_and_leaks_nothing(tmp_path: Path) -> None:
    lock = ProcessLock(tmp_path / "db-lock")
    holder = lock.acquire(1.0)
    assert holder is not None
    began = time.monotonic()
    assert lock.acquire(0.2) is None  # another open file of the same lock file conflicts, as another process would
    assert 0.2 <= time.monotonic() - began < 2.0
    holder.release()
    # The abandoned wait gets the lock once it is free and lets it go at once: the next one is served.
    again = lock.acquire(2.0)
    assert again is not None
    again.release()
