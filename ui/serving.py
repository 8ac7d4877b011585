"""Serving the chat UI on a free local port for a while (tests, benchmarks)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.pipeline import Assistant


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(assistant: Assistant) -> Iterator[str]:
    """The chat UI of ``assistant`` on a free local port; its URL while the block runs."""
    from ui.app import launch

    assistant.settings.port = free_port()
    demo = launch(assistant, prevent_thread_lock=True)
    try:
        yield f"http://127.0.0.1:{assistant.settings.port}/"
    finally:
        demo.close()


@contextmanager
def serving_api(assistant: Assistant) -> Iterator[str]:
    """``quellen serve`` (API and UI on one port) in a thread on a free local port; its base URL."""
    import threading
    import time

    import uvicorn

    from ui.app import build_server

    assistant.settings.port = free_port()
    config = uvicorn.Config(
        build_server(assistant), host="127.0.0.1", port=assistant.settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="quellen-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{assistant.settings.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
