"""One crawl of an outlet at a time, across processes, surviving crashes.

A lock is a file created exclusively (``O_EXCL``) beside the database, holding the owner's
pid, host and start time. A lock whose process is gone (same host) or that is older than
``MAX_AGE`` is stale: it is taken over, not waited on forever.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

MAX_AGE = 6 * 3600  # no crawl of one outlet runs this long; its lock is left over


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


class OutletLock:
    def __init__(self, folder: str | os.PathLike, outlet: str):
        self.path = Path(folder) / f"{outlet}.lock"
        self.held = False

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def _stale(self, holder: dict | None) -> bool:
        if holder is None:
            return True  # unreadable: a crash between create and write
        if time.time() - holder.get("started", 0) > MAX_AGE:
            return True
        return holder.get("host") == socket.gethostname() and not _alive(holder.get("pid", 0))

    def acquire(self) -> bool:
        """Take the lock; False when a live crawl holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._stale(self.holder()):
                    return False
                self.path.unlink(missing_ok=True)  # stale: take it over
                continue
            with os.fdopen(fd, "w") as file:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}, file)
            self.held = True
            return True
        return False

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def lock_folder(db: str | os.PathLike) -> Path:
    return Path(str(Path(db).resolve()) + "-locks")
