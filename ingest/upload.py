"""Files handed in from outside (UI uploads) become documents in the corpus folder.

An upload's name comes from the user's browser and is not trusted: only its last path
component is kept, characters outside a conservative set are replaced, hidden names and
names without a supported extension are refused.  The file is copied into the corpus
folder (never outside it) and then ingested like any other document.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from ingest.extract import SUPPORTED_SUFFIXES, is_supported

#: letters and digits of any script, space, dot, dash, underscore, parentheses
_UNSAFE = re.compile(r"[^\w .()\-]", re.UNICODE)
_MAX_NAME = 150


class UploadError(ValueError):
    """An upload that cannot be accepted; the message names the file and the reason.

    ``name``, ``kind`` (bad_name, file_type, too_large, empty, outside) and ``values``
    let a UI say it in its own language.
    """

    def __init__(self, message: str, name: str = "", kind: str = "", **values: object) -> None:
        super().__init__(message)
        self.name = name
        self.kind = kind
        self.values = values


def safe_filename(name: str) -> str:
    """A file name that is safe to create inside the corpus folder, derived from ``name``.

    Path components (``../../etc/passwd``, ``C:\\x\\y.txt``, ``/abs/path``) are dropped, control
    and shell-special characters replaced by ``_``; the result never starts with a dot.
    """
    raw = unicodedata.normalize("NFC", name or "")
    # the last component under either convention: a browser on Windows sends backslashes
    base = PureWindowsPath(PurePosixPath(raw.replace("\x00", "")).name).name
    base = "".join(ch if ch.isprintable() else "_" for ch in base)
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base or base.startswith("."):
        raise UploadError(f"{name!r}: not a usable file name", name, "bad_name")
    stem, dot, suffix = base.rpartition(".")
    if len(base) > _MAX_NAME:
        base = (stem[: _MAX_NAME - len(suffix) - 1] + dot + suffix) if dot else base[:_MAX_NAME]
    if not is_supported(Path(base)):
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadError(
            f"{name!r}: unsupported file type; accepted are {kinds} and man pages (name.1.gz)",
            name,
            "file_type",
            kinds=kinds,
        )
    return base


def store_upload(uploaded: Path, name: str, corpus_dir: Path, max_bytes: int) -> Path:
    """Copy ``uploaded`` into ``corpus_dir`` under a safe version of ``name``; the new path.

    A file of the same name is replaced: uploading a document again updates it.
    """
    target_name = safe_filename(name)
    size = uploaded.stat().st_size
    if size > max_bytes:
        raise UploadError(
            f"{name!r}: {size / 1e6:.1f} MB is over the upload limit of {max_bytes / 1e6:.1f} MB",
            name,
            "too_large",
            size=size / 1e6,
            limit=max_bytes / 1e6,
        )
    if size == 0:
        raise UploadError(f"{name!r}: the file is empty", name, "empty")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = (corpus_dir / target_name).resolve()
    if target.parent != corpus_dir.resolve():  # belt and braces: safe_filename already forbids this
        raise UploadError(f"{name!r}: would be written outside the corpus folder", name, "outside")
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(uploaded, partial)
    partial.replace(target)  # atomic: a reader never sees a half-copied document
    return target
