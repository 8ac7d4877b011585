"""Shared fixtures: real embedders, real Chroma in temporary folders, the real corpus.

Building an index costs seconds and loading the LLM more, so both are session-scoped;
tests that change an index build their own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import PROJECT_ROOT, Settings
from assistant.pipeline import Assistant, build_assistant

CORPUS = PROJECT_ROOT / "corpus"
#: a file to which each test's end appends the process's anonymous memory (docs/performance.md)
MEMORY_LOG = os.environ.get("QUELLEN_TEST_MEMORY_LOG")


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """With QUELLEN_TEST_MEMORY_LOG set: the test's id and the memory the process holds after it.

    The suite is one process that builds many assistants, each loading models; this shows
    which tests leave memory behind (the figures in docs/performance.md).
    """
    if not MEMORY_LOG:
        return
    from bench.process_memory import anon_mb

    with open(MEMORY_LOG, "a", encoding="utf-8") as log:
        log.write(f"{anon_mb() * 1024:.0f}\t{nodeid}\n")


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the default corpus (tests never touch the real one)."""
    target = tmp_path_factory.mktemp("corpus")
    for file in CORPUS.iterdir():
        shutil.copy(file, target / file.name)
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, corpus_copy: Path) -> Settings:
    return Settings(corpus_dir=corpus_copy, state_dir=tmp_path_factory.mktemp("state"), llm_backend="extractive")


@pytest.fixture(scope="session")
def assistant(settings: Settings) -> Assistant:
    """Extractive assistant over the ingested default corpus."""
    built = build_assistant(settings)
    built.library.ensure_ingested()
    return built


@pytest.fixture(scope="session")
def llm_assistant(settings: Settings, assistant: Assistant) -> Iterator[Assistant]:
    """Same index, answers from the packaged local LLM."""
    llm_settings = settings.model_copy(update={"llm_backend": "local"})
    yield build_assistant(llm_settings)
