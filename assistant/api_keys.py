"""API keys: who may call the HTTP API when the chat asks for a login.

``quellen keys add NAME`` prints a new key once; only its SHA-256 is kept (keys are
long random tokens, so a fast hash is enough; passwords use bcrypt in
:mod:`assistant.users`).  The file is rewritten whole through a temporary file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path

_lock = threading.Lock()
PREFIX = "qk-"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as error:
            raise ValueError(f"{self.path.name} is not a valid key file: {error}") from None
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, keys: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps(keys, indent=1, sort_keys=True), encoding="utf-8")
        os.chmod(partial, 0o600)
        partial.replace(self.path)

    def names(self) -> list[str]:
        return sorted(self._read())

    def add(self, name: str) -> str:
        """A new key for ``name`` (replacing an earlier one); shown once, kept only as a hash."""
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError("a key name is letters, digits, '-', '_' or '.'")
        key = PREFIX + secrets.token_urlsafe(32)
        with _lock:
            keys = self._read()
            keys[name] = _digest(key)
            self._write(keys)
        return key

    def remove(self, name: str) -> None:
        with _lock:
            keys = self._read()
            if name not in keys:
                raise KeyError(f"no key {name}")
            del keys[name]
            self._write(keys)

    def owner(self, key: str) -> str | None:
        """The name a key belongs to, or None."""
        digest = _digest(key)
        return next((name for name, known in self._read().items() if hmac.compare_digest(known, digest)), None)
