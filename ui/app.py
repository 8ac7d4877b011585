"""Gradio chat for quellen.  No retrieval or answering logic here: it calls the Assistant API.

Three tabs: the chat (answers stream in; the citations of the selected answer are listed
beside it and open the source document with the supporting sentence marked), the
documents (upload, list, remove) and the per-session settings.  Each browser session
keeps its own :class:`~assistant.conversation.Conversation` in a ``gr.State``.
"""

from __future__ import annotations

import html
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.conversation import Conversation
from assistant.feedback import Rating
from assistant.pipeline import SESSION_OPTIONS, Assistant, InvalidQuestionError, clean_question
from assistant.types import Answer, Quote, Token
from ui.i18n import I18N, TEXTS, language_of, say, t
from ui.render import CSS, SCROLL_TO_QUOTE_JS, citation_choices, pick, render_answer, source_html

log = logging.getLogger(__name__)

EXAMPLES = [
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
    "Wer sitzt im Managing Committee von METREX?",
    "What does the Europabüro in Brussels do?",
]

Message = dict[str, Any]
#: Gradio fills a progress tracker into a parameter whose default is one
PROGRESS = gr.Progress()
#: the settings panel's value for "no language filter"
ALL = "all"


def _options(backend: str, model: str, top_k: float, language: str, rerank: bool, translate: bool) -> dict:
    options = {
        "llm_backend": backend,
        "top_k": int(top_k),
        "language_filter": None if language == ALL else language,
        "reranker": "llm" if rerank else "none",
        "translate_query": bool(translate),
    }
    if backend == "openai" and model.strip():
        options["openai_model"] = model.strip()
    assert set(options) <= set(SESSION_OPTIONS)
    return options


def _exchange_of(event: gr.SelectData | gr.LikeData) -> int:
    """The conversation exchange a clicked chat message belongs to (a question and its answer per exchange)."""
    index = event.index if isinstance(event.index, int) else event.index[0]
    return index // 2


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The chat page; ``assistant`` does all the work."""
    settings = assistant.settings

    # --- chat ---
    def respond(
        message: str,
        chat: list[Message],
        conversation: Conversation,
        backend: str,
        model: str,
        top_k: float,
        language: str,
        rerank: bool,
        translate: bool,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        try:
            question = clean_question(message or "")
        except InvalidQuestionError as error:
            raise gr.Error(str(error)) from None
        session = assistant.with_options(**_options(backend, model, top_k, language, rerank, translate))
        chat = [
            *(chat or []),
            {"role": "user", "content": html.escape(question)},
            {"role": "assistant", "content": "…"},
        ]
        unchanged = (gr.update(), gr.update(), gr.update())
        yield chat, "", conversation, *unchanged
        streamed = ""
        answer: Answer | None = None
        try:
            for event in session.ask_stream(question, conversation.history):
                if isinstance(event, Quote):
                    streamed += event.text + "\n\n"
                    chat[-1] = {"role": "assistant", "content": html.escape(streamed)}
                    yield chat, "", conversation, *unchanged
                elif isinstance(event, Token):
                    streamed += event.text
                    chat[-1] = {"role": "assistant", "content": html.escape(streamed)}
                    yield chat, "", conversation, *unchanged
                else:
                    answer = event
        except Exception as error:  # the backend failed (endpoint down, model error): say so, keep the question
            log.exception("answering failed")
            yield chat[:-2], question, conversation, *unchanged
            raise gr.Error(say(request, "backend_failed", error=f"{type(error).__name__}: {error}")) from None
        assert answer is not None
        conversation.add(question, answer)
        chat[-1] = {"role": "assistant", "content": render_answer(answer)}
        latest = len(conversation.exchanges) - 1
        yield chat, "", conversation, _citation_list(answer), latest, export(conversation, request)

    def _citation_list(answer: Answer) -> Any:
        return gr.update(choices=citation_choices(answer), value=None)

    def select_answer(conversation: Conversation, event: gr.SelectData) -> tuple[Any, int]:
        """Clicking an answer in the chat lists its sources."""
        exchange = min(_exchange_of(event), len(conversation.exchanges) - 1)
        if exchange < 0:
            return gr.update(), -1
        return _citation_list(conversation.exchanges[exchange].answer), exchange

    def open_source(value: str | None, conversation: Conversation, selected: int, request: gr.Request) -> str:
        if not value or not (0 <= selected < len(conversation.exchanges)):
            return ""
        answer = conversation.exchanges[selected].answer
        citation = pick(answer, value)
        if citation is None:
            return ""
        text = assistant.source_text(citation.passage.source)
        if text is None:
            return html.escape(say(request, "no_source", source=citation.passage.source))
        return source_html(text, citation, answer.language, TEXTS[language_of(request)]["shortened"])

    def new_chat() -> tuple[Any, ...]:
        return [], "", Conversation(), gr.update(choices=[], value=None), -1, "", None

    def export(conversation: Conversation, request: gr.Request) -> str | None:
        if not conversation.exchanges:
            return None
        folder = Path(tempfile.mkdtemp(prefix="quellen-export-"))
        path = folder / "quellen-conversation.md"
        path.write_text(conversation.to_markdown(language_of(request)), encoding="utf-8")
        return str(path)

    # --- feedback ---
    def rate(
        conversation: Conversation, comment: str, event: gr.LikeData, request: gr.Request
    ) -> tuple[str, tuple[int, Rating] | None]:
        exchange = _exchange_of(event)
        if not (0 <= exchange < len(conversation.exchanges)) or event.liked is None:
            return "", None
        rating: Rating = "up" if event.liked is True or event.liked == "Like" else "down"
        assistant.record_feedback(conversation, exchange, rating, comment)
        return say(request, "rated", rating="👍" if rating == "up" else "👎"), (exchange, rating)

    def send_comment(
        conversation: Conversation, comment: str, last: tuple[int, Rating] | None, request: gr.Request
    ) -> tuple[str, str]:
        if last is None or not comment.strip():
            return say(request, "nothing_to_rate"), comment
        assistant.record_feedback(conversation, *last, comment)
        return say(request, "comment_saved"), ""

    # --- documents ---
    def add_files(files: list[str] | None, request: gr.Request, progress: gr.Progress = PROGRESS) -> tuple:
        if not files:
            return say(request, "no_files"), gr.update(), gr.update(), None

        def report_progress(name: str, done: int, total: int, chunks: int) -> None:
            progress((done, total), desc=f"{name} · {chunks} chunks")

        report, refused = assistant.add_files([(Path(f), Path(f).name) for f in files], report_progress)
        lines = [report.summary()] + [say(request, "refused", reason=r) for r in refused]
        return "\n\n".join(html.escape(line) for line in lines), *_document_views(), None

    def _document_views() -> tuple[Any, Any]:
        """The documents table and the removal choices, from one read of the index."""
        documents = assistant.documents()
        table = [[d.source, d.language, d.chunks, d.ingested_at] for d in documents]
        return table, gr.update(choices=[d.source for d in documents], value=None)

    def remove(source: str | None, request: gr.Request) -> tuple:
        if not source:
            return say(request, "pick_document"), *_document_views()
        try:
            moved = assistant.remove_document(source)
        except KeyError as error:
            return html.escape(str(error)), *_document_views()
        if moved:
            message = say(request, "removed", source=source, where=moved)
        else:
            message = say(request, "removed_no_file", source=source)
        return html.escape(message), *_document_views()

    def status() -> str:
        return assistant.status().line()

    with gr.Blocks(title="quellen") as demo:
        gr.Markdown(t("title"))
        status_line = gr.Markdown(status(), elem_id="status-line")
        conversation = gr.State(Conversation())
        selected = gr.State(-1)
        #: (exchange, rating) of the latest rating, for a comment sent after it
        last_rating = gr.State(None)
        with gr.Tabs():
            with gr.Tab(t("chat"), id="chat"), gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Chat",
                        height=520,
                        sanitize_html=True,
                        buttons=["copy", "copy_all"],
                        elem_id="chat",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder=t("placeholder"),
                            show_label=False,
                            scale=8,
                            max_length=4000,
                            elem_id="question",
                        )
                        send = gr.Button(t("ask"), variant="primary", scale=1, elem_id="ask")
                    gr.Examples(EXAMPLES, inputs=question, label=t("examples"))
                    with gr.Row():
                        clear = gr.Button(t("new_chat"), size="sm", elem_id="new-chat")
                        download = gr.DownloadButton("Markdown ⤓", size="sm", elem_id="export")
                    with gr.Row():
                        comment = gr.Textbox(label=t("comment"), scale=4, max_length=2000, elem_id="comment")
                        comment_send = gr.Button(t("send_comment"), size="sm", scale=1)
                    feedback_status = gr.Markdown(elem_id="feedback-status")
                with gr.Column(scale=2):
                    citations = gr.Radio(choices=[], label=t("citations"), elem_id="citations")
                    viewer = gr.HTML(label=t("viewer"), elem_id="source-viewer")
            with gr.Tab(t("documents"), id="documents"):
                upload = gr.File(label=t("upload"), file_count="multiple", elem_id="upload")
                add = gr.Button(t("add"), variant="primary", elem_id="add-files")
                upload_status = gr.Markdown(elem_id="upload-status")
                table = gr.Dataframe(
                    value=[],
                    headers=["document", "language", "chunks", "ingested"],
                    label=t("doc_table"),
                    interactive=False,
                    elem_id="documents",
                )
                with gr.Row():
                    remove_choice = gr.Dropdown(choices=[], label=t("remove_choice"), scale=3)
                    remove_button = gr.Button(t("remove"), variant="stop", scale=1)
                remove_status = gr.Markdown()
            with gr.Tab(t("settings"), id="settings"):
                gr.Markdown(t("settings_note"))
                backend = gr.Dropdown(
                    assistant.answer_backends(), value=settings.llm_backend, label=t("backend"), elem_id="backend"
                )
                model = gr.Textbox(value=settings.openai_model or "", label=t("model"))
                top_k = gr.Slider(1, 10, step=1, value=min(settings.top_k, 10), label=t("top_k"))
                language = gr.Radio(
                    [(I18N("all"), ALL), ("Deutsch", "de"), ("English", "en")],
                    value=settings.language_filter or ALL,
                    label=t("language_filter"),
                )
                rerank = gr.Checkbox(value=settings.reranker == "llm", label=t("reranker"))
                translate = gr.Checkbox(value=settings.translate_query, label=t("translate"))
        option_inputs = [backend, model, top_k, language, rerank, translate]

        chat_outputs = [chatbot, question, conversation, citations, selected, download]
        question.submit(respond, [question, chatbot, conversation, *option_inputs], chat_outputs, api_name="chat")
        send.click(respond, [question, chatbot, conversation, *option_inputs], chat_outputs, api_name=False)
        chatbot.select(select_answer, [conversation], [citations, selected], api_name=False)
        citations.change(open_source, [citations, conversation, selected], viewer, api_name=False).then(
            None, js=SCROLL_TO_QUOTE_JS
        )
        clear.click(
            new_chat, None, [chatbot, question, conversation, citations, selected, viewer, download], api_name=False
        )
        chatbot.like(rate, [conversation, comment], [feedback_status, last_rating], api_name=False)
        comment_send.click(
            send_comment, [conversation, comment, last_rating], [feedback_status, comment], api_name=False
        )
        add.click(add_files, [upload], [upload_status, table, remove_choice, upload], api_name=False).then(
            status, None, status_line, api_name=False
        )
        remove_button.click(remove, [remove_choice], [remove_status, table, remove_choice], api_name=False).then(
            status, None, status_line, api_name=False
        )
        demo.load(status, None, status_line, api_name=False)
        demo.load(_document_views, None, [table, remove_choice], api_name=False)
    return demo


def launch(assistant: Assistant, prevent_thread_lock: bool = False) -> gr.Blocks:
    """Serve the UI on the configured host and port (127.0.0.1 by default; never a share link).

    With ``auth = "user:password"`` configured, Gradio asks for a login first.
    """
    settings = assistant.settings
    demo = build_ui(assistant)
    demo.queue(default_concurrency_limit=4)
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    if settings.auth and len(auth or ()) != 2:
        raise ValueError("auth must look like user:password")
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        prevent_thread_lock=prevent_thread_lock,
        show_error=True,
        auth=auth,  # type: ignore[arg-type]
        max_file_size=int(settings.max_upload_mb * 1024 * 1024),
        i18n=I18N,
        css=CSS,
    )
    return demo
