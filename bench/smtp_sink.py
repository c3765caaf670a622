"""A local SMTP server for the queue bench, in a process of its own (so it competes with neither side for the
interpreter): accepts every message and, when stopped with SIGTERM, writes how many it accepted to the given file.

Usage: ``python bench/smtp_sink.py PORT COUNT_FILE``
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    out.write_text(str(handler.count), encoding="utf-8")


if __name__ == "__main__":
    main()
