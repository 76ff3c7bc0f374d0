"""The SQLite files that hold customers' words and cases are their owner's alone: 0600, in a directory
made 0700 when we make it, whatever the umask of the process that opens them first.

Every SQLite engine of ours (the case store, Rasa's tracker store, the sandbox) passes its file through
`make_private` before it connects. SQLite gives the write-ahead log and shared-memory files it makes
later the mode of the database file, so they are private too; ones left from before are made so here.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

logger = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    return Path(database)


def make_private(path: Path) -> None:
    """Create the file empty (an empty file is an empty SQLite database) with mode 0600 unless it
    exists, its missing directory with 0700; make it and its SQLite side files 0600 if they are not."""
    missing = [parent for parent in (path.parent, *path.parent.parents) if not parent.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIRECTORY, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: it is made private below
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o777 != PRIVATE_FILE:
                candidate.chmod(PRIVATE_FILE)
        except OSError as error:  # another user's file: say so, the database still opens
            logger.warning("cannot make %s private (mode 0600): %s", candidate, error)


def make_private_sqlite(url: str | URL) -> None:
    """`make_private` for the file of a SQLite URL; nothing for any other database."""
    path = sqlite_file(url)
    if path is not None:
        make_private(path)
