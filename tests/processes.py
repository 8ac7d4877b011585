"""Running ``quellen`` as a user does: a real subprocess with settings in the environment."""

from __future__ import annotations

import os
import sys

from assistant.config import Settings


def quellen_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", *args]


def quellen_env(settings: Settings) -> dict[str, str]:
    """The environment that points a ``quellen`` process at ``settings``' folders, offline, extractive."""
    return {
        **os.environ,
        "QUELLEN_STATE_DIR": str(settings.state_dir),
        "QUELLEN_CORPUS_DIR": str(settings.corpus_dir),
        "QUELLEN_LLM_BACKEND": "extractive",
        "HF_HUB_OFFLINE": "1",
    }
