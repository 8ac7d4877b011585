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
