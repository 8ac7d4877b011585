"""The users file: who may log in to the chat, with bcrypt-hashed passwords.

``quellen users add NAME`` writes it; the UI asks for a login as soon as it holds a
user.  A JSON object ``{name: bcrypt hash}``, rewritten whole through a temporary file
so a crash never leaves half of it.  bcrypt (the maintained ``bcrypt`` package) because
hashing by hand is the one thing never to write by hand.
"""

from __future__ import annotations

import functools
import logging
import re

import bcrypt

from assistant.name_file import NameFile

log = logging.getLogger(__name__)

#: names appear in URLs of nothing, but in the database and the log: keep them plain
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_CHARS = 8
#: bcrypt reads at most 72 bytes of a password; refuse longer ones rather than cut them silently
MAX_PASSWORD_BYTES = 72


class UsersFile(NameFile):
    kind = "users file"

    def add(self, name: str, password: str) -> None:
        """Add a user or set a new password for one."""
        if not NAME.match(name):
            raise ValueError("a user name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter/digit")
        encoded = password.encode("utf-8")
        if len(password) < MIN_PASSWORD_CHARS:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
        if len(encoded) > MAX_PASSWORD_BYTES:
            raise ValueError(f"a password may have at most {MAX_PASSWORD_BYTES} bytes")
        self._put(name, bcrypt.hashpw(encoded, bcrypt.gensalt()).decode("ascii"))
        log.info("user %s saved in %s", name, self.path.name)

    def check(self, name: str, password: str) -> bool:
        """True when ``password`` is ``name``'s (constant time in bcrypt; unknown names cost the same)."""
        hashed = self._read().get(name)
        encoded = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
        if hashed is None:
            bcrypt.checkpw(encoded, _dummy_hash())  # an unknown name takes as long as a wrong password
            return False
        return bcrypt.checkpw(encoded, hashed.encode("ascii"))


@functools.cache
def _dummy_hash() -> bytes:
    return bcrypt.hashpw(b"not a password", bcrypt.gensalt())
