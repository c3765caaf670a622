"""The processes of the load and fault runs: ``cxm serve`` with several workers, and a PostgreSQL of our own.

The fault runs restart PostgreSQL, so they never touch a shared server: ``OwnPostgres`` initializes a cluster in a
temporary folder with the Debian binaries, on a free port, as the ``postgres`` user when run as root (PostgreSQL
refuses to run as root), and deletes it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CXM = Path(sys.executable).parent / "cxm"
SECRET = secrets.token_hex(32)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """``cxm serve --workers N`` in a process of its own; its log (uvicorn's messages) goes to ``log``."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    workers: int

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        """The supervisor's worker processes (spawned children; not multiprocessing's helper processes)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = []
        for pid in children.read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"spawn_main" in cmdline:
                pids.append(int(pid))
        return pids

    def connections(self) -> dict[int, int]:
        """Open client connections per worker: its sockets that are established connections to the server's port."""
        port = int(self.url.rsplit(":", 1)[1])
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as lines:
                for line in list(lines)[1:]:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: ESTABLISHED
                        established.add(fields[9])
        found = {}
        for pid in self.worker_pids():
            inodes = []
            with contextlib.suppress(FileNotFoundError, PermissionError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(FileNotFoundError):
                        inodes.append(os.readlink(fd))
            found[pid] = sum(1 for link in inodes if link.startswith("socket:[") and link[8:-1] in established)
        return found

    def started_workers(self) -> list[int]:
        """Workers whose app finished starting, in the order the log reports them."""
        started: list[int] = []
        pending: int | None = None
        for line in self.log_text().splitlines():
            if match := re.search(r"Started server process \[(\d+)\]", line):
                pending = int(match.group(1))
            elif "Application startup complete" in line and pending is not None:
                started.append(pending)
        return started

    def stop(self) -> None:
        pids = self.worker_pids() if self.process.poll() is None else []
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in pids:  # a worker the supervisor did not take down must not outlive the run
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def serve(
    database_url: str, workers: int, log: Path, env: dict[str, str] | None = None, *, access_log: bool = False
) -> Server:
    """Start ``cxm serve`` on a free port and wait until every worker serves (``access_log``: keep uvicorn's access
    log, one line per request, in ``log`` too)."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(CXM), "serve", "--port", str(port), "--workers", str(workers), "--db", database_url],
            # The guessing limits keep their defaults: every respondent comes from 127.0.0.1, but none opens a
            # link that does not exist (a database outage is not counted as one).
            env={**os.environ, "CXM_SECRET_KEY": SECRET, **(env or {})},
            cwd=ROOT,
            stdout=sink if access_log else subprocess.DEVNULL,  # one access-log line per request
            stderr=sink,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log, workers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cxm serve exited with status {process.returncode}:\n{server.log_text()}")
        if len(server.started_workers()) >= workers:
            try:
                if httpx.get(server.url + "/healthz", timeout=5).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"cxm serve did not start in 60 s:\n{server.log_text()}")


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed the Debian way, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@dataclass
class OwnPostgres:
    """A throw-away PostgreSQL cluster: ``start()``, ``restart()`` in the middle of a run, ``remove()``."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cxm-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*as_postgres, str(binaries / args[0]), *args[1:]], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")

    def start(self) -> OwnPostgres:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        if not data.exists():
            self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            "pg_ctl", action, "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w",
            "-o", options, *extra,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, pause: float) -> tuple[float, float]:
        """Stop (fast: active sessions are ended), wait ``pause`` seconds, start; return (stop began, started)."""
        began = time.monotonic()
        self.stop()
        time.sleep(pause)
        self._pg_ctl("start")
        return began, time.monotonic()

    def remove(self) -> None:
        try:
            if (self.folder / "data" / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
