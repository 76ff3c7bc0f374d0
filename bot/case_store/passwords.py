"""Staff passwords (merchants, support agents): argon2id hashes only, checked in constant-ish time."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one behind `stored_hash`; an unknown account (None) takes as long."""
    if stored_hash is None:
        _hasher.hash(password)  # as slow as a real check, so timing tells nothing
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
