"""Secrets at rest (app tokens, per-tenant webhook secrets): sealed with Fernet.

The key is `OPSGRAPH_SECRET_KEY` (a Fernet key) or, when that is unset, `<data_dir>/secret.key`,
made on first use and readable by the owner only. Neither the key nor what it seals is ever
logged or put into an error message.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from runtime.settings import Settings

KEY_FILE_NAME = "secret.key"


class SecretBoxError(Exception):
    """A sealed value could not be opened, or the key is unusable."""


class SecretBox:
    """Seals and opens short secrets with one Fernet key (AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise SecretBoxError(
                "the secret key is malformed: it must be a Fernet key (32 random bytes, "
                'url-safe base64; make one with `python -c "from cryptography.fernet import '
                'Fernet; print(Fernet.generate_key().decode())"`)'
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The process's box: the configured key, else the data directory's key file."""
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().strip().encode("ascii"))
        return cls(_key_from_file(settings.data_dir / KEY_FILE_NAME))

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The plaintext; `SecretBoxError` when the key is not the one it was sealed with."""
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            raise SecretBoxError(
                "cannot open a sealed secret: it was sealed with another key "
                "(OPSGRAPH_SECRET_KEY or <data_dir>/secret.key changed) or it is corrupted"
            ) from None


def _key_from_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600) if it does not exist yet.

    A new key is written to a private temporary file and hard-linked into place, so two
    processes starting together agree on one key and neither reads a half-written file.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if not key:
        raise SecretBoxError(f"the key file {path} is empty")
    return key
