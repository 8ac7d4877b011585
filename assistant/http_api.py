"""The HTTP API: REST under ``/api`` and an OpenAI-compatible ``/v1``, beside the chat UI on one port.

Engineers call quellen from scripts and existing chat front ends; both speak to the same
:class:`~assistant.pipeline.Assistant` as the CLI and the UI, and answer in the public
JSON shapes of docs/api.md (``Answer.to_json``, ``Passage.to_json``).  The OpenAI
endpoint takes the last user message as the question and the earlier ones as its
history, and puts the sources both into the text (a Markdown list) and into a
``citations`` field for clients that read it.  Bad input is a 4xx with a message.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant.api_keys import ApiKeys
from assistant.cleaning import InvalidQuestionError, clean_question
from assistant.conversation import source_line
from assistant.pipeline import Assistant
from assistant.scope import Scope
from assistant.types import Answer, Quote, Token, Turn

log = logging.getLogger(__name__)

#: the model name OpenAI clients use for the configured answer backend; others are "quellen-<backend>"
MODEL = "quellen"


class ApiError(Exception):
    """A request that cannot be answered; becomes ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SearchOptions(BaseModel):
    """Per-request settings (the UI's session options)."""

    top_k: int | None = Field(None, ge=1, le=50)
    language: str | None = Field(None, pattern="^(de|en)$", description="search only this language")
    sources: list[str] = Field(default_factory=list, description="answer only from documents matching these globs")
    backend: str | None = Field(None, description="local, extractive or openai")


class HistoryTurn(BaseModel):
    question: str
    answer: str = Field("", description="the answer the question got; follow-ups often refer to what it named")


class AskRequest(SearchOptions):
    question: str
    history: list[str | HistoryTurn] = Field(
        default_factory=list, description="earlier turns, oldest first: a question, or {question, answer}"
    )

    @property
    def turns(self) -> list[Turn]:
        return [Turn(h) if isinstance(h, str) else Turn(h.question, h.answer) for h in self.history]


class RetrieveRequest(AskRequest):
    k: int | None = Field(None, ge=1, le=50)


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = MODEL
    messages: list[ChatMessage]
    stream: bool = False


def _session(assistant: Assistant, options: SearchOptions) -> Assistant:
    """The assistant with the request's options (the same cache of variants the UI uses)."""
    changes: dict[str, object] = {}
    if options.top_k is not None:
        changes["top_k"] = options.top_k
    if options.language is not None:
        changes["language_filter"] = options.language
    if options.sources:
        names = assistant.store.source_names()
        if not Scope(sources=tuple(options.sources)).names(names):
            raise ApiError(422, f"no indexed document matches {', '.join(options.sources)}")
        changes["sources"] = tuple(options.sources)
    if options.backend is not None:
        if options.backend not in assistant.answer_backends():
            raise ApiError(
                422, f"unknown backend {options.backend!r}; choose from {', '.join(assistant.answer_backends())}"
            )
        changes["llm_backend"] = options.backend
    return assistant.with_options(**changes) if changes else assistant


def _question(text: str) -> str:
    try:
        return clean_question(text)
    except InvalidQuestionError as error:
        raise ApiError(422, str(error)) from None


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _models(assistant: Assistant) -> dict[str, str]:
    """OpenAI model id -> answer backend."""
    models = {MODEL: assistant.settings.llm_backend}
    for backend in assistant.answer_backends():
        models.setdefault(f"{MODEL}-{backend}", backend)
    return models


def _with_sources(answer: Answer) -> str:
    """The answer text and a Markdown list of its sources (what a chat front end shows)."""
    if not answer.citations:
        return answer.answer
    heading = "Quellen" if answer.language == "de" else "Sources"
    lines = [source_line(c, answer.language) for c in answer.citations]
    return f"{answer.answer}\n\n**{heading}**\n" + "\n".join(lines)


def build_api(assistant: Assistant) -> FastAPI:
    """The FastAPI app with the REST and OpenAI-compatible routes (the UI is mounted by ``serve``)."""
    keys = ApiKeys(assistant.settings.api_keys_path)

    def require_key(request: Request) -> None:
        """With a login for the chat, the API needs a key too: ``Authorization: Bearer <key>``."""
        if not assistant.settings.login_required:
            return
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "this API needs a key: Authorization: Bearer <key> (quellen keys add NAME)")
        if keys.owner(key.strip()) is None:
            raise ApiError(401, "unknown API key")

    app = FastAPI(
        title="quellen",
        description="Cited answers from German and English documents.",
        dependencies=[Depends(require_key)],
    )

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.message}, status_code=error.status)

    @app.get("/api/status")
    def status() -> dict[str, object]:
        current = assistant.status()
        return {
            "documents": current.documents,
            "chunks": current.chunks,
            "embedder": current.embedder,
            "answers": current.answer_backend,
            "search": current.retrieval,
        }

    @app.get("/api/documents")
    def documents() -> list[dict[str, object]]:
        return [
            {"source": d.source, "language": d.language, "chunks": d.chunks, "ingested_at": d.ingested_at}
            | ({"ocr_pages": d.ocr_pages} if d.ocr_pages else {})
            for d in assistant.library.documents()
        ]

    @app.post("/api/documents")
    def upload(files: list[UploadFile]) -> dict[str, object]:
        """Upload and ingest files (the UI's rules: safe names, supported types, the size limit)."""
        with tempfile.TemporaryDirectory(prefix="quellen-upload-") as tmp:
            received = []
            for number, file in enumerate(files):
                path = Path(tmp) / f"{number}"
                with path.open("wb") as out:
                    shutil.copyfileobj(file.file, out)
                received.append((path, file.filename or ""))
            report, refused = assistant.library.add_files(received)
        return {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": [{"source": Path(s.path).name, "reason": s.reason} for s in report.skipped],
            "refused": [{"name": r.name, "reason": str(r)} for r in refused],
        }

    @app.delete("/api/documents/{name:path}")
    def remove(name: str) -> dict[str, object]:
        """Take a document out of the index; its file is kept aside, never deleted."""
        try:
            assistant.library.remove_document(name)
        except KeyError:
            raise ApiError(404, f"{name!r} is not in the index") from None
        return {"removed": name}

    @app.post("/api/retrieve")
    def retrieve(body: RetrieveRequest) -> list[dict[str, object]]:
        session = _session(assistant, body)
        passages = session.retrieve(_question(body.question), body.k, body.turns)
        return [p.to_json(n) for n, p in enumerate(passages, start=1)]

    @app.post("/api/ask", response_model=None)
    def ask(body: AskRequest, request: Request) -> dict[str, object] | StreamingResponse:
        session = _session(assistant, body)
        question = _question(body.question)
        if "text/event-stream" not in request.headers.get("accept", ""):
            return session.ask(question, body.turns).to_json()

        def events() -> Iterator[str]:
            for event in session.ask_stream(question, body.turns):
                if isinstance(event, Quote):
                    yield _sse("quote", {"text": event.text, "citation": event.citation.to_json()})
                elif isinstance(event, Token):
                    yield _sse("token", {"text": event.text})
                else:
                    yield _sse("answer", event.to_json())

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/v1/models")
    def models() -> dict[str, object]:
        created = int(time.time())
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": created, "owned_by": "quellen"} for m in _models(assistant)
            ],
        }

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(body: ChatRequest) -> dict[str, object] | StreamingResponse:
        backend = _models(assistant).get(body.model)
        if backend is None:
            raise ApiError(404, f"unknown model {body.model!r}; GET /v1/models lists them")
        turns = _chat_turns(body.messages)
        if not turns:
            raise ApiError(422, "no user message: the last user message is the question")
        question, history = _question(turns[-1].question), turns[:-1]
        session = _session(assistant, SearchOptions(backend=backend))
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.stream:
            answer = session.ask(question, history)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": _with_sources(answer)},
                        "finish_reason": "stop",
                    }
                ],
                "citations": [c.to_json() for c in answer.citations],
                "usage": _usage(answer),
            }

        def chunk(delta: dict[str, object], finish: str | None = None, **extra: object) -> str:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        def stream() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            for event in session.ask_stream(question, history):
                if isinstance(event, Quote):
                    yield chunk({"content": event.text + "\n\n"})
                elif isinstance(event, Token):
                    yield chunk({"content": event.text})
                else:
                    sources = _with_sources(event)[len(event.answer) :]
                    yield chunk({"content": sources}, citations=[c.to_json() for c in event.citations])
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    return app


def _chat_turns(messages: list[ChatMessage]) -> list[Turn]:
    """The user messages as turns, each with the assistant message that followed it (its answer)."""
    turns: list[Turn] = []
    for message in messages:
        if message.role == "user":
            turns.append(Turn(_text(message.content)))
        elif message.role == "assistant" and turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, _text(message.content))
    return turns


def _text(content: str | list[dict[str, Any]] | None) -> str:
    """A message's text: OpenAI clients send a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) for part in content or [] if part.get("type") == "text")


def _usage(answer: Answer) -> dict[str, int]:
    prompt, completion = answer.usage.get("prompt_tokens", 0), answer.usage.get("completion_tokens", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
