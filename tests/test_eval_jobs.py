"""The evaluation runner behind the UI's tab: one run at a time, reports listed, zipped, compared."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from assistant.answer_type import asked_types
from assistant.config import Settings
from eval.jobs import EvalJobs, EvalRequest, run_suite
from eval.questions import DEFAULT_SET
from eval.report import compare, load_summary, overview_markdown
from eval.suites import corpus_cases


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


def test_an_evaluation_of_the_questions_that_ask_for_one_kind_of_fact(settings: Settings, tmp_path: Path) -> None:
    """``quellen eval --asks date`` asks only the "when" questions: a change to dates is measured there."""
    result, _ = run_suite(EvalRequest(systems=["quellen"], asks="date", no_answers=True, out=tmp_path), settings)
    cases = corpus_cases(DEFAULT_SET, settings.corpus_dir)
    dates = {case.id for case in cases if "date" in asked_types(case.question)}
    ranked = {case.id for case in cases if case.id in dates and any(case.targets.values())}  # unanswerable: no gold
    assert {row["id"] for row in result.retrieval_rows} == ranked and 0 < len(ranked) < len(dates) < len(cases)
    assert result.config["asks"] == "date" and result.config["cases"] == len(dates)

    (tmp_path / "ids.txt").write_text("\n".join(sorted(ranked)[:2]) + "\nnot-a-case\n", encoding="utf-8")
    result, _ = run_suite(
        EvalRequest(systems=["quellen"], ids=tmp_path / "ids.txt", no_answers=True, out=tmp_path), settings
    )
    assert {row["id"] for row in result.retrieval_rows} == set(sorted(ranked)[:2]) and result.config["cases"] == 2
    (tmp_path / "none.txt").write_text("not-a-case\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none of its ids"):
        run_suite(EvalRequest(systems=["quellen"], ids=tmp_path / "none.txt", no_answers=True, out=tmp_path), settings)
