"""Gradio chat for quellen.  No retrieval, answering, storage or evaluation logic here.

Four tabs: the chat (saved conversations on the left, answers streaming in the middle,
the citations of the selected answer beside it, opening the source with the supporting
sentence marked), the documents (upload, list, remove), the per-session settings and
the evaluation (:mod:`ui.eval_tab`).  Each browser session keeps the open
:class:`~assistant.conversation.Conversation` in a ``gr.State``; every finished
exchange is stored at once in the conversations database (:mod:`assistant.chat_store`),
so a reload or a restart loses nothing.
"""

from __future__ import annotations

import html
import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.chat_store import ChatStore, open_chat_store, title_of
from assistant.conversation import LOCAL_USER, Conversation
from assistant.feedback import Rating, record_feedback
from assistant.page_view import page_png, quote_page
from assistant.pipeline import MAX_QUESTION_CHARS, SESSION_OPTIONS, Assistant, InvalidQuestionError, clean_question
from assistant.types import Answer, Quote, Token
from assistant.users import UsersFile
from ui.eval_tab import EvalJobs, build_eval_tab
from ui.i18n import I18N, TEXTS, language_of, say, t
from ui.render import (
    CSS,
    SCROLL_CHAT_JS,
    SCROLL_TO_QUOTE_JS,
    citation_choices,
    page_html,
    pick,
    render_answer,
    source_html,
)
from ui.views import backend_choices, chat_choices, documents_table, refused_upload, status_line, upload_summary

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
KEEP = gr.update()

#: the question box counts characters in the browser, up to the one limit the server applies
COUNTER_JS = f"""
(q) => {{ const n = (q || '').length;
  const de = (navigator.language || '').toLowerCase().startsWith('de');
  return `${{n}} / {MAX_QUESTION_CHARS} ` + (de ? 'Zeichen' : 'characters'); }}
"""


def _options(
    backend: str, model: str, top_k: float, language: str, rerank: bool, translate: bool, scope: list[str] | None
) -> dict:
    options = {
        "llm_backend": backend,
        "top_k": int(top_k),
        "language_filter": None if language == ALL else language,
        "sources": tuple(scope or ()),
        "reranker": "llm" if rerank else "none",
        "translate_query": bool(translate),
    }
    if backend == "openai" and (model or "").strip():
        options["openai_model"] = model.strip()
    assert set(options) <= set(SESSION_OPTIONS)
    return options


def user_of(request: gr.Request | None) -> str:
    """The logged-in user, or the one local user without login."""
    return (getattr(request, "username", None) or LOCAL_USER) if request is not None else LOCAL_USER


def _exchange_of(event: gr.SelectData | gr.LikeData) -> int:
    """The conversation exchange a clicked chat message belongs to (a question and its answer per exchange)."""
    index = event.index if isinstance(event.index, int) else event.index[0]
    return index // 2


def _messages(conversation: Conversation) -> list[Message]:
    chat: list[Message] = []
    for exchange in conversation.exchanges:
        chat.append({"role": "user", "content": html.escape(exchange.question)})
        chat.append({"role": "assistant", "content": render_answer(exchange.answer)})
    return chat


def _exports(conversation: Conversation, language: str) -> tuple[str | None, str | None]:
    """Markdown and JSON files of the conversation for the two download buttons (None when empty)."""
    if not conversation.exchanges:
        return None, None
    folder = Path(tempfile.mkdtemp(prefix="quellen-export-"))
    markdown, data = folder / "quellen-conversation.md", folder / "quellen-conversation.json"
    markdown.write_text(conversation.to_markdown(language), encoding="utf-8")
    data.write_text(json.dumps(conversation.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    return str(markdown), str(data)


def _question_problem(error: InvalidQuestionError, request: gr.Request) -> str:
    if error.kind == "too_long":
        return say(request, "long_question", n=error.length, max=MAX_QUESTION_CHARS)
    return say(request, "empty_question")


def build_ui(assistant: Assistant, chats: ChatStore, evaluations: EvalJobs | None = None) -> gr.Blocks:
    """The chat page; ``assistant`` answers, ``chats`` keeps the conversations."""
    settings = assistant.settings
    zone = settings.timezone

    def chat_list(request: gr.Request, value: str | None = None) -> Any:
        choices = chat_choices(chats.list(user_of(request)), language_of(request), zone)
        return gr.update(choices=choices, value=value)

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
        scope: list[str] | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        try:
            question = clean_question(message or "")
        except InvalidQuestionError as error:  # a small message in the page's language; nothing else changes
            yield chat, message, conversation, KEEP, KEEP, _question_problem(error, request), KEEP, KEEP, KEEP
            return
        session = assistant.with_options(**_options(backend, model, top_k, language, rerank, translate, scope))
        before = list(chat or [])
        chat = [*before, {"role": "user", "content": html.escape(question)}]
        yield chat, "", conversation, KEEP, KEEP, "", KEEP, KEEP, KEEP
        streamed = ""
        answer: Answer | None = None
        try:
            for event in session.ask_stream(question, conversation.turns):
                if isinstance(event, Quote | Token):
                    streamed += event.text + ("\n\n" if isinstance(event, Quote) else "")
                    shown = {"role": "assistant", "content": html.escape(streamed)}
                    chat = [*before, chat[len(before)], shown]
                    yield chat, "", conversation, KEEP, KEEP, "", KEEP, KEEP, KEEP
                else:
                    answer = event
        except Exception as error:  # the backend failed (endpoint down, model error): say so, keep the question
            log.exception("answering failed")
            failed = say(request, "backend_failed", error=f"{type(error).__name__}: {error}")
            yield before, question, conversation, KEEP, KEEP, failed, KEEP, KEEP, KEEP
            return
        assert answer is not None
        notice = ""
        try:
            chats.append(user_of(request), conversation, question, answer, session.settings)
        except Exception as error:  # the database is gone: the answer still stands in this page
            log.exception("could not store the exchange")
            conversation.add(question, answer)
            notice = say(request, "not_saved", error=type(error).__name__)
        chat = [*before, chat[len(before)], {"role": "assistant", "content": render_answer(answer)}]
        latest = len(conversation.exchanges) - 1
        markdown, data = _exports(conversation, language_of(request))
        listed = chat_list(request, conversation.id)
        yield chat, "", conversation, _citation_list(answer), latest, notice, listed, markdown, data

    def _citation_list(answer: Answer) -> Any:
        return gr.update(choices=citation_choices(answer), value=None)

    def select_answer(conversation: Conversation, event: gr.SelectData) -> tuple[Any, int]:
        """Clicking an answer in the chat lists its sources."""
        exchange = min(_exchange_of(event), len(conversation.exchanges) - 1)
        if exchange < 0:
            return gr.update(), -1
        return _citation_list(conversation.exchanges[exchange].answer), exchange

    def open_source(
        value: str | None, conversation: Conversation, selected: int, request: gr.Request
    ) -> tuple[str, str]:
        """The source text with the sentence marked, and for a PDF the printed page with it highlighted."""
        if not value or not (0 <= selected < len(conversation.exchanges)):
            return "", ""
        answer = conversation.exchanges[selected].answer
        citation = pick(answer, value)
        if citation is None:
            return "", ""
        passage = citation.passage
        text = assistant.library.source_text(passage.source)
        if text is None:
            return html.escape(say(request, "no_source", source=passage.source)), ""
        words = TEXTS[language_of(request)]
        shown = source_html(text, citation, answer.language, words["shortened"])
        file = assistant.library.source_file(passage.source) if passage.page is not None else None
        if file is None or file.suffix.lower() != ".pdf":
            return shown, ""
        quote = citation.quote if citation.quote_start is not None else ""
        number = quote_page(file, passage.page, passage.page_end or passage.page, quote)
        label = words["page_view"].format(page=number, source=passage.source)
        return shown, page_html(page_png(file, number, quote), label)

    def shown(conversation: Conversation, request: gr.Request, notice: str = "") -> tuple[Any, ...]:
        """Everything the chat column shows for ``conversation`` (the citation list starts empty)."""
        markdown, data = _exports(conversation, language_of(request))
        return (
            _messages(conversation),
            "",
            conversation,
            gr.update(choices=[], value=None),
            -1,
            "",
            "",
            markdown,
            data,
            chat_list(request, conversation.id),
            conversation.title,
            notice,
            gr.update(visible=False),
        )

    def new_chat(request: gr.Request) -> tuple[Any, ...]:
        """The one clear action (button and the chat's trash icon): a new, empty conversation."""
        return shown(Conversation(), request)

    def open_chat(chat_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not chat_id:
            return shown(Conversation(), request)
        try:
            return shown(chats.load(user_of(request), chat_id), request)
        except KeyError:
            return shown(Conversation(), request, say(request, "no_chat"))

    def open_latest(request: gr.Request) -> tuple[Any, ...]:
        """A reload opens the conversation continued last: nothing is lost.

        The question box is left alone (a question typed while the page loads stays), and
        with nothing saved yet nothing is touched at all.
        """
        latest = chats.list(user_of(request))
        if not latest:
            return tuple(KEEP for _ in range(13))
        opened = list(open_chat(latest[0].id, request))
        opened[1] = KEEP
        return tuple(opened)

    def rename_chat(conversation: Conversation, title: str, request: gr.Request) -> tuple[Any, ...]:
        if conversation.id is None:
            return conversation, KEEP, say(request, "no_chat")
        if not (title or "").strip():
            return conversation, KEEP, say(request, "empty_title")
        chats.rename(user_of(request), conversation.id, title)
        conversation.title = title_of(title)
        return conversation, chat_list(request, conversation.id), say(request, "chat_renamed")

    def ask_delete(conversation: Conversation, request: gr.Request) -> tuple[Any, str]:
        if conversation.id is None:
            return gr.update(visible=False), say(request, "no_chat")
        return gr.update(visible=True), ""

    def delete_chat(conversation: Conversation, request: gr.Request) -> tuple[Any, ...]:
        if conversation.id is not None:
            chats.delete(user_of(request), conversation.id)
        return shown(Conversation(), request, say(request, "chat_deleted"))

    def explain_empty_export(conversation: Conversation, request: gr.Request) -> str:
        return "" if conversation.exchanges else say(request, "nothing_to_export")

    # --- feedback ---
    def rate(
        conversation: Conversation, comment: str, event: gr.LikeData, request: gr.Request
    ) -> tuple[str, tuple[int, Rating] | None, str]:
        exchange = _exchange_of(event)
        if not (0 <= exchange < len(conversation.exchanges)) or event.liked is None:
            return "", None, comment
        rating: Rating = "up" if event.liked is True or event.liked == "Like" else "down"
        _store_rating(conversation, exchange, rating, comment, request)
        # the comment belongs to this rating only: empty the box so a later rating does not repeat it
        return say(request, "rated", rating="👍" if rating == "up" else "👎"), (exchange, rating), ""

    def send_comment(
        conversation: Conversation, comment: str, last: tuple[int, Rating] | None, request: gr.Request
    ) -> tuple[str, str, None]:
        if last is None or not comment.strip():
            return say(request, "nothing_to_rate"), comment, None
        _store_rating(conversation, *last, comment, request)
        return say(request, "comment_saved"), "", None

    def _store_rating(
        conversation: Conversation, exchange: int, rating: Rating, comment: str, request: gr.Request
    ) -> None:
        user = user_of(request)
        record_feedback(assistant.settings, conversation, exchange, rating, comment, user)
        if conversation.id is not None:
            chats.rate(user, conversation.id, exchange, rating, comment)

    # --- documents ---
    def add_files(files: list[str] | None, request: gr.Request, progress: gr.Progress = PROGRESS) -> tuple:
        if not files:
            return say(request, "no_files"), *_document_views(request), None

        def report_progress(name: str, done: int, total: int, chunks: int) -> None:
            progress((done, total), desc=f"{name} · {chunks}")

        report, refused = assistant.library.add_files([(Path(f), Path(f).name) for f in files], report_progress)
        language = language_of(request)
        lines = upload_summary(report, language) + [refused_upload(error, language) for error in refused]
        return "\n\n".join(html.escape(line) for line in lines), *_document_views(request), None

    def _document_views(request: gr.Request) -> tuple[Any, Any, Any]:
        """The documents table, the removal choices and the scope choices, from one read of the index."""
        documents = assistant.library.documents()
        names = [d.source for d in documents]
        table = documents_table(documents, language_of(request), zone)
        return table, gr.update(choices=names, value=None), gr.update(choices=names)

    def follow_documents(seen: int, request: gr.Request) -> tuple[Any, ...]:
        """The document views again when the index changed (a watched folder, another session's upload)."""
        if seen == assistant.store.version:
            return KEEP, KEEP, KEEP, seen
        return *_document_views(request), assistant.store.version

    def ask_remove(source: str | None, request: gr.Request) -> tuple[Any, str]:
        if not source:
            return gr.update(visible=False), say(request, "pick_document")
        return gr.update(visible=True), say(request, "confirm_remove", source=source)

    def remove(source: str | None, request: gr.Request) -> tuple:
        if not source:
            return say(request, "pick_document"), *_document_views(request), gr.update(visible=False)
        try:
            moved = assistant.library.remove_document(source)
        except KeyError:
            message = say(request, "no_source", source=source)
        else:
            message = say(request, "removed" if moved else "removed_no_file", source=source)
        return html.escape(message), *_document_views(request), gr.update(visible=False)

    # --- settings ---
    def status(
        backend: str,
        model: str,
        top_k: float,
        language: str,
        rerank: bool,
        translate: bool,
        scope: list[str] | None,
        request: gr.Request,
    ) -> str:
        session = assistant.with_options(**_options(backend, model, top_k, language, rerank, translate, scope))
        return status_line(session, language_of(request))

    def localised_settings(request: gr.Request) -> tuple[Any, Any]:
        choices = backend_choices(assistant, language_of(request))
        return gr.update(choices=choices), gr.update(visible=settings.llm_backend == "openai")

    def model_field(backend: str) -> Any:
        return gr.update(visible=backend == "openai")

    with gr.Blocks(title="quellen") as demo:
        gr.Markdown(t("title"))
        status_text = gr.Markdown(elem_id="status-line")
        conversation = gr.State(Conversation())
        selected = gr.State(-1)
        #: (exchange, rating) of the latest rating, for a comment sent after it
        last_rating = gr.State(None)
        with gr.Tabs():
            with gr.Tab(t("chat"), id="chat"), gr.Row():
                with gr.Column(scale=2, min_width=220):
                    clear = gr.Button(t("new_chat"), size="sm", elem_id="new-chat")
                    chat_picker = gr.Radio(choices=[], label=t("chat_list"), elem_id="chats")
                    with gr.Row():
                        title_box = gr.Textbox(label=t("new_title"), max_length=120, elem_id="chat-title", scale=3)
                        rename = gr.Button(t("rename"), size="sm", elem_id="rename-chat", scale=1)
                    delete = gr.Button(t("delete_chat"), size="sm", variant="stop", elem_id="delete-chat")
                    with gr.Row(visible=False, elem_id="confirm-delete-chat") as confirm_delete:
                        gr.Markdown(t("really_delete_chat"))
                        yes_delete = gr.Button(t("yes_delete"), size="sm", variant="stop", elem_id="yes-delete-chat")
                        no_delete = gr.Button(t("cancel"), size="sm")
                with gr.Column(scale=5):
                    chatbot = gr.Chatbot(
                        label="Chat",
                        height=520,
                        sanitize_html=True,
                        # "copy_all" is left out: Gradio names it only in English; the exports do its job
                        buttons=["copy"],
                        elem_id="chat",
                    )
                    notice = gr.Markdown(elem_id="chat-notice")
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder=t("placeholder"),
                            show_label=False,
                            scale=8,
                            max_length=MAX_QUESTION_CHARS,
                            elem_id="question",
                        )
                        send = gr.Button(t("ask"), variant="primary", scale=1, elem_id="ask")
                    counter = gr.Markdown(f"0 / {MAX_QUESTION_CHARS}", elem_id="question-counter")
                    gr.Examples(EXAMPLES, inputs=question, label=t("examples"))
                    scope = gr.Dropdown(
                        choices=[], multiselect=True, filterable=True, label=t("scope"), elem_id="scope"
                    )
                    with gr.Row():
                        download = gr.DownloadButton(t("export_md"), size="sm", elem_id="export")
                        download_json = gr.DownloadButton(t("export_json"), size="sm", elem_id="export-json")
                    with gr.Row():
                        comment = gr.Textbox(label=t("comment"), scale=4, max_length=2000, elem_id="comment")
                        comment_send = gr.Button(t("send_comment"), size="sm", scale=1)
                    feedback_status = gr.Markdown(elem_id="feedback-status")
                with gr.Column(scale=4):
                    citations = gr.Radio(choices=[], label=t("citations"), elem_id="citations")
                    viewer = gr.HTML(label=t("viewer"), elem_id="source-viewer")
                    page_view = gr.HTML(elem_id="page-view")
            with gr.Tab(t("documents"), id="documents"):
                upload = gr.File(label=t("upload"), file_count="multiple", elem_id="upload")
                add = gr.Button(t("add"), variant="primary", elem_id="add-files")
                upload_status = gr.Markdown(elem_id="upload-status")
                table = gr.Dataframe(value=[], label=t("doc_table"), interactive=False, elem_id="documents")
                with gr.Row():
                    remove_choice = gr.Dropdown(choices=[], label=t("remove_choice"), scale=3, elem_id="remove-choice")
                    remove_button = gr.Button(t("remove"), variant="stop", scale=1, elem_id="remove")
                remove_status = gr.Markdown(elem_id="remove-status")
                with gr.Row(visible=False) as confirm_remove:
                    really_remove = gr.Button(t("really_remove"), variant="stop", elem_id="really-remove")
                    keep_document = gr.Button(t("cancel"))
                documents_seen = gr.State(-1)
                documents_timer = gr.Timer(5.0)
            with gr.Tab(t("settings"), id="settings"):
                gr.Markdown(t("settings_note"))
                backend = gr.Dropdown(
                    backend_choices(assistant, "de"), value=settings.llm_backend, label=t("backend"), elem_id="backend"
                )
                model = gr.Textbox(
                    value=settings.openai_model or "",
                    label=t("model"),
                    visible=settings.llm_backend == "openai",
                    elem_id="model",
                )
                top_k = gr.Slider(1, 10, step=1, value=min(settings.top_k, 10), label=t("top_k"))
                language = gr.Radio(
                    [(I18N("all"), ALL), ("Deutsch", "de"), ("English", "en")],
                    value=settings.language_filter or ALL,
                    label=t("language_filter"),
                )
                rerank = gr.Checkbox(value=settings.reranker == "llm", label=t("reranker"))
                translate = gr.Checkbox(value=settings.translate_query, label=t("translate"))
            if evaluations is not None:
                with gr.Tab(t("evaluation"), id="evaluation"):
                    build_eval_tab(evaluations, demo)
        option_inputs = [backend, model, top_k, language, rerank, translate, scope]

        chat_outputs = [
            chatbot,
            question,
            conversation,
            citations,
            selected,
            notice,
            chat_picker,
            download,
            download_json,
        ]
        ask_inputs = [question, chatbot, conversation, *option_inputs]
        question.submit(respond, ask_inputs, chat_outputs, api_name="chat")
        send.click(respond, ask_inputs, chat_outputs, api_name=False)
        for trigger in (question.submit, send.click):  # follow the new answer even after scrolling up
            trigger(None, None, None, js=SCROLL_CHAT_JS, api_name=False)
        question.input(None, [question], [counter], js=COUNTER_JS)
        chatbot.select(select_answer, [conversation], [citations, selected], api_name=False)
        citations.change(open_source, [citations, conversation, selected], [viewer, page_view], api_name=False).then(
            None, js=SCROLL_TO_QUOTE_JS
        )
        shown_outputs = [
            chatbot,
            question,
            conversation,
            citations,
            selected,
            viewer,
            page_view,
            download,
            download_json,
            chat_picker,
            title_box,
            notice,
            confirm_delete,
        ]
        clear.click(new_chat, None, shown_outputs, api_name=False)
        chatbot.clear(new_chat, None, shown_outputs, api_name=False)
        chat_picker.input(open_chat, [chat_picker], shown_outputs, api_name=False)
        rename.click(rename_chat, [conversation, title_box], [conversation, chat_picker, notice], api_name=False)
        delete.click(ask_delete, [conversation], [confirm_delete, notice], api_name=False)
        no_delete.click(lambda: gr.update(visible=False), None, confirm_delete, api_name=False)
        yes_delete.click(delete_chat, [conversation], shown_outputs, api_name=False)
        download.click(explain_empty_export, [conversation], notice, api_name=False)
        download_json.click(explain_empty_export, [conversation], notice, api_name=False)
        chatbot.like(rate, [conversation, comment], [feedback_status, last_rating, comment], api_name=False)
        comment_send.click(
            send_comment, [conversation, comment, last_rating], [feedback_status, comment, last_rating], api_name=False
        )
        document_outputs = [table, remove_choice, scope]
        add.click(add_files, [upload], [upload_status, *document_outputs, upload], api_name=False).then(
            status, option_inputs, status_text, api_name=False
        )
        documents_timer.tick(follow_documents, [documents_seen], [*document_outputs, documents_seen], api_name=False)
        remove_button.click(ask_remove, [remove_choice], [confirm_remove, remove_status], api_name=False)
        keep_document.click(lambda: gr.update(visible=False), None, confirm_remove, api_name=False)
        really_remove.click(
            remove, [remove_choice], [remove_status, *document_outputs, confirm_remove], api_name=False
        ).then(status, option_inputs, status_text, api_name=False)
        for control in (backend, top_k, language, rerank, translate, scope):
            control.change(status, option_inputs, status_text, api_name=False)
        backend.change(model_field, [backend], [model], api_name=False)
        demo.load(localised_settings, None, [backend, model], api_name=False)
        demo.load(_document_views, None, document_outputs, api_name=False).then(
            status, option_inputs, status_text, api_name=False
        )
        demo.load(open_latest, None, shown_outputs, api_name=False)
    return demo


def login_check(assistant: Assistant) -> Any:
    """Gradio's login: the users file (``quellen users add``) and the single ``auth`` pair; None = no login."""
    settings = assistant.settings
    users = UsersFile(settings.users_path)
    pair = tuple(settings.auth.split(":", 1)) if settings.auth else None
    if settings.auth and len(pair or ()) != 2:
        raise ValueError("auth must look like user:password")
    if pair is None and not users.names():
        return None

    def check(name: str, password: str) -> bool:
        if pair is not None and (name, password) == pair:
            return True
        return users.check(name, password)

    return check


def launch(assistant: Assistant, prevent_thread_lock: bool = False) -> gr.Blocks:
    """Serve the UI on the configured host and port (127.0.0.1 by default; never a share link).

    With users in the users file or ``auth = "user:password"`` configured, Gradio asks for
    a login first and each user sees only their own conversations.
    """
    settings = assistant.settings
    chats = open_chat_store(settings)
    demo = build_ui(assistant, chats, EvalJobs(settings, settings.reports_dir))
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        prevent_thread_lock=prevent_thread_lock,
        show_error=True,
        auth=login_check(assistant),
        max_file_size=int(settings.max_upload_mb * 1024 * 1024),
        i18n=I18N,
        css=CSS,
    )
    return demo


def build_server(assistant: Assistant) -> Any:
    """One FastAPI app on one port: the REST and OpenAI-compatible API (assistant.http_api) and this chat UI at /."""
    from assistant.http_api import build_api

    settings = assistant.settings
    app = build_api(assistant)
    demo = build_ui(assistant, open_chat_store(settings), EvalJobs(settings, settings.reports_dir))
    demo.queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        auth=login_check(assistant),
        max_file_size=int(settings.max_upload_mb * 1024 * 1024),
        i18n=I18N,
        css=CSS,
    )
