"""The evaluation runner behind the UI's tab: one run at a time, reports listed, zipped, compared."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from assistant.config import Settings
from eval.jobs import EvalJobs, EvalRequest
from eval.report import compare, load_summary, overview_markdown


def test_one_evaluation_at_a_time_and_its_report(settings: Settings, tmp_path: Path) -> None:
    jobs = EvalJobs(settings, tmp_path / "reports")
    request = EvalRequest(systems=["quellen"], backends=["extractive"], limit=4, answers=4)
    finished = []
    assert jobs.start(request, finished.append)
    assert not jobs.start(request), "a second run is refused while one runs"
    deadline = time.monotonic() + 600
    while jobs.state.running and time.monotonic() < deadline:
        time.sleep(0.2)
    state = jobs.state
    assert not state.running and not state.error and state.folder is not None, state
    assert finished == [state] and state.total > 0 and state.done == state.total
    assert [p.name for p in jobs.reports()] == [state.folder.name]

    overview = overview_markdown(load_summary(state.folder)["summary"])
    assert "### Retrieval: quellen" in overview and "| key facts |" in overview.replace(
        "key facts | citation", "key facts |"
    )
    with zipfile.ZipFile(jobs.zipped(state.folder.name)) as archive:
        names = archive.namelist()
    assert f"{state.folder.name}/results.json" in names and any(n.endswith(".png") for n in names)
    assert "| metric | A | B |" in compare(state.folder, state.folder)
    for bad in ("..", "../reports", state.folder.name + "/..", "nothing"):
        with pytest.raises(KeyError):
            jobs.report(bad)


def test_a_failing_evaluation_is_reported_and_the_next_may_start(settings: Settings, tmp_path: Path) -> None:
    jobs = EvalJobs(settings, tmp_path / "reports")
    assert jobs.start(EvalRequest(suite="xquad", data=None))
    deadline = time.monotonic() + 60
    while jobs.state.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "needs --data" in jobs.state.error
    assert jobs.start(EvalRequest(suite="xquad", data=None)), "a failed run does not block the next"
