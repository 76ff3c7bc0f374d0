"""The local profile's secrets: random values made on first use, kept in a file only its user can read.

A secret written into this repository is public, so none is: when the local profile runs with a
secret unset, bot.config takes it from this file, which the first process to need it creates
(`NAME=value` lines, mode 0600). Every later process of the checkout, and every later run, reads
the same values, so the gateway, the rasa servers, the action server and the command-line tools
agree. Deleting the file rotates them all: the next process makes new ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

SECRET_BYTES = 32
HEADER = (
    "# Secrets of the local profile, made on first use (bot/local_secrets.py); only this user may read\n"
    "# this file. Never commit or share it. Delete it to rotate every secret: the next start makes new\n"
    "# ones (browser conversations and staff sign-ins start over).\n"
)


class LocalSecretsError(Exception):
    """The file cannot be read or written, or others may read it."""


def load(file: Path, names: Iterable[str]) -> dict[str, str]:
    """Each named secret from `file`, making the file, or the values it lacks, first."""
    wanted = list(names)
    values = _read(file)
    if any(not values.get(name) for name in wanted):
        # Processes start together: under a lock, only the first makes the missing values, and the
        # others read what it wrote.
        with _locked(file.parent):
            values = _read(file)
            missing = [name for name in wanted if not values.get(name)]
            if missing:
                values.update({name: secrets.token_hex(SECRET_BYTES) for name in missing})
                _write(file, values)
    return {name: values[name] for name in wanted}


def _read(file: Path) -> dict[str, str]:
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise LocalSecretsError(f"cannot read {file}: {error.strerror}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise LocalSecretsError(
            f"{file} may be read by other users (mode {stat.S_IMODE(mode):o}): "
            f"`chmod 600 {file}`, or delete it to make new secrets"
        )
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise LocalSecretsError(f"cannot read {file}: {error.strerror}") from None
    values = {}
    for line in lines:
        name, equals, value = line.partition("=")
        if equals and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def _write(file: Path, values: dict[str, str]) -> None:
    """Replace the file in one step: a reader sees the old file or the whole new one, never a part."""
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    text = HEADER + "".join(f"{name}={value}\n" for name, value in sorted(values.items()))
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # left by a process that died writing: its mode is not to be trusted
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, file)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise LocalSecretsError(f"cannot write {file}: {error.strerror}") from None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError as error:
        raise LocalSecretsError(f"cannot use {directory}: {error.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
