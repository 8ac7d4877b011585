"""The evaluation tab: start a run, watch its progress, read and compare reports.

Only display and wiring: the run itself is :func:`eval.jobs.run_suite`, the same code as
``quellen eval``, kept going in the background by :class:`eval.jobs.EvalJobs` (one run
at a time).  The page polls the job's state once a second.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr

from eval.jobs import EvalJobs, EvalRequest
from eval.report import compare, load_summary, overview_markdown
from ui.i18n import language_of, say, t
from ui.views import BACKEND_LABELS

__all__ = ["EvalJobs", "build_eval_tab", "report_markdown"]

KEEP = gr.update()
#: questions per run offered by default: a few minutes with the local model on 2 cores
DEFAULT_LIMIT = 10


def suites(jobs: EvalJobs) -> list[str]:
    """The suites that can run here: the corpus, the users' ratings once there are some, data sets configured."""
    settings = jobs.settings
    names = ["corpus"]
    if settings.feedback_path.is_file():
        names.append("feedback")
    names += [name for name, folder in (("xquad", settings.xquad_dir), ("squad2", settings.squad2_dir)) if folder]
    return names


def request_for(jobs: EvalJobs, suite: str, backends: list[str], limit: int) -> EvalRequest:
    """The run the tab's choices describe (retrieval of quellen only: the baselines belong to the CLI)."""
    settings = jobs.settings
    request = EvalRequest(suite=suite, backends=list(backends), systems=["quellen"], limit=limit, answers=limit)
    if suite == "feedback":
        request.suite, request.from_feedback = "corpus", settings.feedback_path
    elif suite == "xquad":
        request.data = settings.xquad_dir
    elif suite == "squad2":
        request.data = settings.squad2_dir
    return request


def report_markdown(folder: Path) -> str:
    """The report's key figures per group (the whole report, every metric, is in its zip)."""
    return f"#### {folder.name}\n\n" + overview_markdown(load_summary(folder)["summary"])


def _plots(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.glob("*.png"))]


def _progress_html(fraction: float, text: str) -> str:
    value = f"{max(0.0, min(1.0, fraction)):.3f}"
    return f'<progress value="{value}" max="1" style="width:100%"></progress><div>{html.escape(text)}</div>'


def build_eval_tab(jobs: EvalJobs, demo: gr.Blocks) -> None:
    """The tab's components and events (call inside a ``gr.Tab`` of ``demo``)."""
    settings = jobs.settings

    def choices(request: gr.Request) -> tuple[Any, ...]:
        language = language_of(request)
        suite_choices = [(say(request, f"suite_{name}"), name) for name in suites(jobs)]
        backend_choices = [(BACKEND_LABELS[language][b], b) for b in ("local", "extractive", "openai")]
        if not (settings.openai_base_url and settings.openai_model):
            backend_choices = backend_choices[:2]
        names = [p.name for p in jobs.reports()]
        return (
            gr.update(choices=suite_choices),
            gr.update(choices=backend_choices),
            gr.update(choices=names, value=names[0] if names else None),
            gr.update(choices=names),
            gr.update(choices=names),
        )

    def start(suite: str, backends: list[str], limit: float, request: gr.Request) -> str:
        if not backends:
            return _progress_html(0, say(request, "eval_no_backend"))
        if not jobs.start(request_for(jobs, suite, backends, max(1, int(limit or 1)))):
            return _progress_html(0, say(request, "eval_busy"))
        return _progress_html(0, say(request, "eval_started"))

    def poll(shown: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Progress while running; the new report once, when the run has finished."""
        state = jobs.state
        if state.running:
            if state.total:
                text = say(request, "eval_running", stage=state.stage, done=state.done, total=state.total)
                return _progress_html(state.done / state.total, text), *[KEEP] * 6, shown
            return _progress_html(0, say(request, "eval_indexing")), *[KEEP] * 6, shown
        if state.error and shown != state.error:
            return _progress_html(0, say(request, "eval_failed", error=state.error)), *[KEEP] * 6, state.error
        if state.folder is None or shown == state.folder.name:
            return *[KEEP] * 7, shown
        name = state.folder.name
        names = [p.name for p in jobs.reports()]
        return (
            _progress_html(1, say(request, "eval_done", name=name)),
            report_markdown(state.folder),
            _plots(state.folder),
            gr.update(choices=names, value=name),
            gr.update(choices=names),
            gr.update(choices=names),
            str(jobs.zipped(name)),
            name,
        )

    def open_report(name: str | None) -> tuple[Any, Any, Any]:
        if not name:
            return "", [], None
        try:
            folder = jobs.report(name)
        except KeyError:
            return "", [], None
        return report_markdown(folder), _plots(folder), str(jobs.zipped(name))

    def compare_reports(a: str | None, b: str | None, request: gr.Request) -> str:
        if not a or not b:
            return say(request, "eval_pick_two")
        try:
            return compare(jobs.report(a), jobs.report(b))
        except KeyError as error:
            return html.escape(str(error))

    gr.Markdown(t("eval_intro"))
    with gr.Row():
        suite = gr.Dropdown(choices=["corpus"], value="corpus", label=t("eval_suite"), elem_id="eval-suite")
        backends = gr.CheckboxGroup(
            choices=["local", "extractive"],
            value=[settings.llm_backend],
            label=t("eval_backends"),
            elem_id="eval-backends",
        )
        limit = gr.Number(value=DEFAULT_LIMIT, precision=0, minimum=1, label=t("eval_limit"), elem_id="eval-limit")
    run = gr.Button(t("eval_start"), variant="primary", elem_id="eval-start")
    progress = gr.HTML(elem_id="eval-progress")
    shown = gr.State(None)
    timer = gr.Timer(1.0)
    with gr.Row():
        reports = gr.Dropdown(choices=[], label=t("eval_reports"), scale=3, elem_id="eval-reports")
        download = gr.DownloadButton(t("eval_download"), scale=1, elem_id="eval-download")
    with gr.Row():
        summary = gr.Markdown(elem_id="eval-summary")
        plots = gr.Gallery(label=t("eval_plots"), columns=1, height=520, object_fit="contain", elem_id="eval-plots")
    with gr.Row():
        first = gr.Dropdown(choices=[], label=t("eval_compare_a"), elem_id="eval-compare-a")
        second = gr.Dropdown(choices=[], label=t("eval_compare_b"), elem_id="eval-compare-b")
        compare_button = gr.Button(t("eval_compare"), elem_id="eval-compare")
    comparison = gr.Markdown(elem_id="eval-comparison")

    demo.load(choices, None, [suite, backends, reports, first, second], api_name=False).then(
        open_report, [reports], [summary, plots, download], api_name=False
    )
    run.click(start, [suite, backends, limit], progress, api_name=False)
    timer.tick(poll, [shown], [progress, summary, plots, reports, first, second, download, shown], api_name=False)
    reports.input(open_report, [reports], [summary, plots, download], api_name=False)
    compare_button.click(compare_reports, [first, second], comparison, api_name=False)
