"""A private PostgreSQL server for a test: Debian's ``postgresql`` binaries, a cluster in a temporary folder.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres``
user the Debian package creates.  The server listens on 127.0.0.1 on a free port and is
stopped (``pg_ctl stop -m immediate``) when the block ends.  Without the binaries a
test is skipped locally and fails in CI, where ``.ci/run`` installs the package.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ui.serving import free_port


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server's SQLAlchemy URL (database ``postgres``, no password, local only).

    Its folder is made directly under the system's temporary folder: pytest's own are
    private to root, and the server runs as ``postgres``.
    """
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's postgresql is missing; .ci/run installs it")
        pytest.skip("Debian's postgresql is not installed")
    as_user: list[str] = []
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        user = "postgres"
        as_user = ["runuser", "-u", user, "--"]
    folder = Path(tempfile.mkdtemp(prefix="quellen-postgres-"))
    folder.chmod(0o755)
    data, sockets = folder / "data", folder / "sockets"
    for path in (data, sockets):
        path.mkdir()
        shutil.chown(path, user)
    port = free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
