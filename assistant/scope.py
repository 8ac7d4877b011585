"""Which documents a question may be answered from: a language and/or chosen documents and folders.

A user checking one report must not get an answer from another.  Source patterns are
globs over the indexed source names (``berichte/*.pdf``, ``*metropol*``); a pattern
without wildcards also names a folder (``berichte`` = everything under it).  Dense
search gets the matching names as a Chroma ``$in`` filter and BM25 finds are checked
against the same names, so both searches respect the scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from assistant.config import Settings

_WILDCARDS = set("*?[")


@dataclass(frozen=True)
class Scope:
    language: str | None = None
    #: glob patterns over source names; empty = every document
    sources: tuple[str, ...] = ()

    @property
    def restricts(self) -> bool:
        return bool(self.language or self.sources)

    def names(self, known: Iterable[str]) -> list[str] | None:
        """The indexed sources the patterns match (None: no source restriction)."""
        if not self.sources:
            return None
        return [name for name in known if any(_matches(name, pattern) for pattern in self.sources)]

    def allows(self, metadata: Mapping[str, object], names: set[str] | None) -> bool:
        """Whether a chunk (its Chroma metadata) lies in the scope; ``names`` from :meth:`names`."""
        if self.language and metadata.get("language") != self.language:
            return False
        return names is None or str(metadata.get("source")) in names


def _matches(name: str, pattern: str) -> bool:
    pattern = pattern.strip()
    if not pattern:
        return False
    if _WILDCARDS & set(pattern):
        return fnmatchcase(name, pattern)
    folder = pattern.rstrip("/")
    return name == folder or name.startswith(folder + "/")


def scope_of(settings: Settings) -> Scope:
    """The scope the settings ask for (``language_filter`` and ``sources``)."""
    return Scope(settings.language_filter, tuple(settings.sources))
