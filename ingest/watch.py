"""Follow the corpus folder: new, changed and deleted files are ingested as they happen.

Folders that change every week should not need a manual ``quellen ingest``.  watchfiles
(Rust ``notify``, installed with uvicorn) reports changes; a burst of them (a copy of
many files, an editor's save-rename dance) is debounced into one batch, and each batch
runs one incremental ingest of the whole folder: unchanged files cost a hash, changed
ones are re-indexed, deleted ones leave the index.  The ingest runs under the
assistant's ingest lock, so it never interleaves with an upload from the UI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from ingest.extract import is_supported
from ingest.pipeline import IngestReport

log = logging.getLogger(__name__)

#: milliseconds of quiet before a batch of changes is ingested
DEBOUNCE_MS = 800
_NAMES = {Change.added: "added", Change.modified: "changed", Change.deleted: "deleted"}


class DocumentFilter(DefaultFilter):
    """Only documents quellen reads, and new folders; never hidden or temporary files (an upload's ``.name.part``).

    A new folder counts because the files written into it at once (a folder copied in,
    ``mkdir`` then a save) can be created before ``notify`` watches the folder, and then
    report nothing; the ingest after the folder's own event finds them.
    """

    def __call__(self, change: Change, path: str) -> bool:
        name = Path(path).name
        if name.startswith(".") or name.endswith((".part", "~", ".swp", ".tmp")):
            return False
        if not super().__call__(change, path):
            return False
        return change == Change.deleted or is_supported(Path(path)) or (change == Change.added and Path(path).is_dir())


def watch_folder(
    folder: Path,
    ingest: Callable[[], IngestReport],
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> None:
    """Run ``ingest`` after every batch of document changes below ``folder`` until ``stop`` is set."""
    folder.mkdir(parents=True, exist_ok=True)
    log.info("watching %s for new, changed and deleted documents", folder)
    for changes in watch(
        folder,
        watch_filter=DocumentFilter(),
        debounce=debounce_ms,
        stop_event=stop,
        rust_timeout=1000,
        yield_on_timeout=False,
    ):
        for change, path in sorted(changes, key=lambda c: c[1]):
            log.info("%s: %s", _NAMES.get(change, change.name), Path(path).relative_to(folder))
        try:
            report = ingest()
        except Exception:  # a bad moment (a file half written) must not end the watching
            log.exception("ingest after a change failed; the next change tries again")
            continue
        log.info("ingested: %s", report.summary().splitlines()[0])


def watch_in_background(folder: Path, ingest: Callable[[], IngestReport]) -> tuple[threading.Thread, threading.Event]:
    """The watcher in a daemon thread (``quellen chat --watch``); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=watch_folder, args=(folder, ingest, stop), name="quellen-watch", daemon=True)
    thread.start()
    return thread, stop
