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
