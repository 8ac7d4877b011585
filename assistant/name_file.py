"""A small JSON file of name -> hash (users' passwords, API keys), read whole and written atomically.

Rewritten through a temporary file and a rename, mode 600: a crash never leaves half of
it, and other local users cannot read the hashes.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

_lock = threading.Lock()


class NameFile:
    #: what the file holds, for messages ("users file", "key file")
    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as error:
            raise ValueError(f"{self.path.name} is not a valid {self.kind}: {error}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{self.path.name} is not a valid {self.kind}: expected an object of name: hash")
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        os.chmod(partial, 0o600)
        partial.replace(self.path)

    def _put(self, name: str, value: str) -> None:
        with _lock:
            entries = self._read()
            entries[name] = value
            self._write(entries)

    def names(self) -> list[str]:
        return sorted(self._read())

    def remove(self, name: str) -> None:
        with _lock:
            entries = self._read()
            if name not in entries:
                raise KeyError(f"no entry {name} in the {self.kind}")
            del entries[name]
            self._write(entries)
