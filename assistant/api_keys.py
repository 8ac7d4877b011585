"""API keys: who may call the HTTP API when the chat asks for a login.

``quellen keys add NAME`` prints a new key once; only its SHA-256 is kept (keys are
long random tokens, so a fast hash is enough; passwords use bcrypt in
:mod:`assistant.users`).  The file is rewritten whole through a temporary file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from assistant.name_file import NameFile

PREFIX = "qk-"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys(NameFile):
    kind = "key file"

    def add(self, name: str) -> str:
        """A new key for ``name`` (replacing an earlier one); shown once, kept only as a hash."""
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError("a key name is letters, digits, '-', '_' or '.'")
        key = PREFIX + secrets.token_urlsafe(32)
        self._put(name, _digest(key))
        return key

    def owner(self, key: str) -> str | None:
        """The name a key belongs to, or None."""
        digest = _digest(key)
        return next((name for name, known in self._read().items() if hmac.compare_digest(known, digest)), None)
