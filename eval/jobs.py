"""One evaluation run from a request, and a runner that keeps one run going in the background.

``quellen eval`` and the UI's evaluation tab both call :func:`run_suite`: the cases of a
suite are built, evaluated and written to a report folder in one place.  ``EvalJobs``
runs one request at a time in a thread (a second start is refused while one runs), so
the chat stays usable and the tab can poll the progress.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.answer_type import asked_types
from assistant.config import Settings
from eval.feedback import feedback_to_questions
from eval.questions import DEFAULT_SET
from eval.report import REPORTS_DIR, write_report
from eval.runner import EvalResult, Progress, evaluate, spread
from eval.suites import corpus_cases, squad2_cases, squad2_documents, xquad_cases, xquad_documents

log = logging.getLogger(__name__)

SYSTEMS = ("bm25", "llamaindex-quickstart", "quellen")
#: answers by default for the data-set suites (XQuAD: 1,224 questions, SQuAD 2.0 half: 5,554);
#: answering all with the local LLM would take hours here.
DATA_SUITE_ANSWERS = 100
#: suites built from a data set folder: documents written from it, its cases, an example folder
DATA_SUITES = {
    "xquad": (xquad_documents, xquad_cases, "../shared/data/xquad"),
    "squad2": (squad2_documents, squad2_cases, "../shared/data/squad2-dev-half"),
}


@dataclass
class EvalRequest:
    """What to evaluate: the options of ``quellen eval`` (see ``eval/cli.py`` for their meaning)."""

    suite: str = "corpus"
    data: Path | None = None
    questions: Path = DEFAULT_SET
    #: a feedback file to make the questions from (the corpus suite's questions are then ignored)
    from_feedback: Path | None = None
    split: str | None = None
    #: only the questions that ask for this kind of fact ("date": a "when" question), see assistant.answer_type
    asks: str | None = None
    #: a file of case ids, one per line: only those cases (the questions a change affects)
    ids: Path | None = None
    limit: int | None = None
    answers: int | None = None
    no_answers: bool = False
    backends: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=lambda: list(SYSTEMS))
    out: Path = REPORTS_DIR


def questions_from_feedback(feedback: Path, out: Path, note: Callable[[str], None] = log.info) -> Path:
    """Convert a feedback file into a question set next to the reports; its path."""
    out.mkdir(parents=True, exist_ok=True)
    questions, review = out / "feedback-questions.jsonl", out / "feedback-review.jsonl"
    made, to_review = feedback_to_questions(feedback, questions, review)
    note(f"feedback: {made} questions ({questions}), {to_review} thumbs-down to review ({review})")
    if not made:
        raise ValueError(f"{feedback.name}: no thumbs-up answers with citations to make questions from")
    return questions


def run_suite(
    request: EvalRequest,
    settings: Settings,
    progress: Progress | None = None,
    note: Callable[[str], None] = log.info,
) -> tuple[EvalResult, Path]:
    """Evaluate ``request`` and write its report; the result and the report folder (``note`` hears the steps)."""
    with tempfile.TemporaryDirectory(prefix="quellen-eval-") as tmp:
        if request.suite in DATA_SUITES:
            write_documents, make_cases, example = DATA_SUITES[request.suite]
            if not request.data:
                raise ValueError(f"--suite {request.suite} needs --data DIR (e.g. {example})")
            corpus_dir = Path(tmp) / request.suite
            write_documents(request.data, corpus_dir)
            cases = make_cases(request.data)
        else:
            corpus_dir = settings.corpus_dir
            questions = request.questions
            if request.from_feedback:
                questions = questions_from_feedback(request.from_feedback, request.out, note)
            cases = corpus_cases(questions, corpus_dir, request.split)
        if request.asks:
            cases = [case for case in cases if request.asks in asked_types(case.question)]
            if not cases:
                raise ValueError(f"no question of this set asks for a {request.asks}")
        if request.ids:
            wanted = set(request.ids.read_text(encoding="utf-8").split())
            cases = [case for case in cases if case.id in wanted]
            if not cases:
                raise ValueError(f"{request.ids.name}: none of its ids is a case of this suite")
        if request.limit:
            cases = spread(cases, request.limit)
        answer_limit = request.answers
        if answer_limit is None and request.suite in DATA_SUITES:
            answer_limit = DATA_SUITE_ANSWERS
        result = evaluate(
            request.suite,
            cases,
            settings,
            corpus_dir,
            systems=request.systems,
            answers=not request.no_answers,
            backends=request.backends,
            answer_limit=answer_limit,
            progress=progress,
        )
    result.config.update({key: str(value) for key, value in (("asks", request.asks), ("ids", request.ids)) if value})
    return result, write_report(result, request.out)


@dataclass(frozen=True)
class JobState:
    """What the evaluation tab shows about the current (or last) run."""

    running: bool = False
    stage: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    #: the report folder of the finished run
    folder: Path | None = None
    error: str = ""


class EvalJobs:
    """At most one evaluation at a time, in a background thread."""

    def __init__(self, settings: Settings, reports_dir: Path = REPORTS_DIR) -> None:
        self.settings = settings
        self.reports_dir = reports_dir
        self._lock = threading.Lock()
        self._state = JobState()

    @property
    def state(self) -> JobState:
        return self._state

    def start(self, request: EvalRequest, finished: Callable[[JobState], None] | None = None) -> bool:
        """Start ``request`` unless a run is going on (then False)."""
        with self._lock:
            if self._state.running:
                return False
            self._state = JobState(running=True, stage="indexing", started=time.time())
        request = replace(request, out=self.reports_dir)

        def progress(stage: str, done: int, total: int) -> None:
            self._state = replace(self._state, stage=stage, done=done, total=total)

        def work() -> None:
            try:
                _, folder = run_suite(request, self.settings, progress)
                self._state = replace(self._state, running=False, folder=folder, stage="done")
            except Exception as error:  # reported in the tab; the next run may start
                log.exception("evaluation failed")
                self._state = replace(self._state, running=False, error=f"{type(error).__name__}: {error}")
            if finished is not None:
                finished(self._state)

        threading.Thread(target=work, name="quellen-eval", daemon=True).start()
        return True

    def reports(self) -> list[Path]:
        """Report folders, newest first."""
        if not self.reports_dir.is_dir():
            return []
        found = [p for p in self.reports_dir.iterdir() if (p / "results.json").is_file()]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def report(self, name: str) -> Path:
        """The report folder called ``name`` (only folders of ``reports_dir``: the name comes from a browser)."""
        folder = (self.reports_dir / name).resolve()
        if folder.parent != self.reports_dir.resolve() or not (folder / "results.json").is_file():
            raise KeyError(f"no report {name}")
        return folder

    def zipped(self, name: str) -> Path:
        """The report folder as a zip file in a temporary folder (for download)."""
        folder = self.report(name)
        target = Path(tempfile.mkdtemp(prefix="quellen-report-")) / name
        return Path(shutil.make_archive(str(target), "zip", root_dir=folder.parent, base_dir=folder.name))
