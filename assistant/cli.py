"""``quellen`` command line: ingest, retrieve, ask, chat, eval.

A thin client of :class:`assistant.pipeline.Assistant`, like the UI.  ``--json``
output follows the public contract in docs/api.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.conversation import LOCAL_USER
from assistant.types import Answer, Quote, Token

if TYPE_CHECKING:
    from assistant.name_file import NameFile
    from assistant.pipeline import Assistant


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    fields = (
        "chroma_url",
        "embedder",
        "llm_backend",
        "openai_base_url",
        "openai_model",
        "corpus_dir",
        "state_dir",
        "language_filter",
        "retrieval_mode",
        "translate_query",
        "reranker",
        "sources",
    )
    for field in fields:
        value = getattr(args, field, None)
        if value is not None:
            overrides[field] = tuple(value) if isinstance(value, list) else value
    return Settings(**overrides)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _ingest_if_empty(assistant: Assistant) -> None:
    """First use on a fresh clone: index the corpus folder rather than answer from nothing."""
    report = assistant.library.ensure_ingested()
    if report is not None:
        sys.stderr.write(f"index was empty, ingested {assistant.settings.corpus_dir}: {report.summary()}\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from assistant.pipeline import build_assistant

    assistant = build_assistant(_settings(args))
    started = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("ingesting", total=None, rate="")

        def progress(source: str, done: int, total: int, chunks: int) -> None:
            seconds = max(time.perf_counter() - started, 1e-6)
            rate = f"{done / seconds:.1f} files/s, {chunks / seconds:.0f} chunks/s"
            bar.update(task, total=total, completed=done, description=source[-40:], rate=rate)

        report = assistant.library.ingest(
            Path(args.path) if args.path else None, rebuild=args.rebuild, progress=progress
        )
    sys.stdout.write(report.summary() + "\n")
    if args.watch:
        from ingest.watch import watch_folder

        logging.getLogger("ingest.watch").setLevel(logging.INFO)
        sys.stdout.write(f"watching {assistant.settings.corpus_dir} (Ctrl-C stops)\n")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            watch_folder(assistant.settings.corpus_dir, assistant.library.ingest)
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_assistant

    assistant = build_assistant(_settings(args))
    _ingest_if_empty(assistant)
    passages = assistant.retrieve(args.question, args.k)
    if args.json:
        _print_json([p.to_json(n) for n, p in enumerate(passages, start=1)])
    else:
        for n, p in enumerate(passages, start=1):
            sys.stdout.write(f"[{n}] {p.score:.3f} {p.source} {p.start}-{p.end}\n    {p.text.strip()[:300]}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_assistant

    assistant = build_assistant(_settings(args))
    _ingest_if_empty(assistant)
    answer: Answer | None = None
    for event in assistant.ask_stream(args.question):
        if isinstance(event, Quote | Token):
            if args.stream and not args.json:
                sys.stdout.write(event.text + ("\n\n" if isinstance(event, Quote) else ""))
                sys.stdout.flush()
        else:
            answer = event
    assert answer is not None
    if args.json:
        _print_json(answer.to_json())
        return 0
    if args.stream:
        sys.stdout.write("\n\n")
        if answer.refused:  # what streamed (the quote, a first token) is withdrawn: say so
            sys.stdout.write(f"{answer.answer}\n\n")
        elif answer.answer:
            sys.stdout.write(f"(cleaned) {answer.answer}\n\n")
    else:
        sys.stdout.write(answer.answer + "\n\n")
    for citation in answer.citations:
        p = citation.passage
        sys.stdout.write(f"[{citation.n}] {p.source} ({p.start}-{p.end}): {p.text.strip()[:300]}\n")
    for p in answer.withheld:
        sys.stdout.write(f"Not used, it addresses an AI assistant: {p.source} ({p.start}-{p.end})\n")
    if answer.scope:
        sys.stdout.write(f"Searched only in: {', '.join(answer.scope)}\n")
    if answer.refused and answer.passages:
        sys.stdout.write("Closest passages:\n")
        for p in answer.passages[:3]:
            sys.stdout.write(f"  {p.score:.3f} {p.source}: {p.text.strip()[:200]}\n")
    return 0


def _served_assistant(args: argparse.Namespace) -> Assistant:
    """The assistant a server runs (``chat``, ``serve``): host and port from the flags, the index
    filled on first start, BM25 built in the background, the corpus folder watched with ``--watch``."""
    from assistant.pipeline import build_assistant

    settings = _settings(args)
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    assistant = build_assistant(settings)
    assistant.library.ensure_ingested()
    assistant.warm_up()
    if args.watch:
        from ingest.watch import watch_in_background

        logging.getLogger("ingest.watch").setLevel(logging.INFO)
        watch_in_background(settings.corpus_dir, assistant.library.ingest)
    return assistant


def cmd_chat(args: argparse.Namespace) -> int:
    from ui.app import launch

    launch(_served_assistant(args))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.cli import run

    return run(args, _settings(args))


def cmd_docs(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_assistant

    for record in build_assistant(_settings(args)).library.documents():
        ocr = f"\tOCR pages {record.ocr_pages}" if record.ocr_pages else ""
        sys.stdout.write(f"{record.source}\t{record.language}\t{record.chunks} chunks\t{record.ingested_at}{ocr}\n")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ui.app import build_server

    assistant = _served_assistant(args)
    host, port = assistant.settings.host, assistant.settings.port
    sys.stderr.write(f"quellen: API and chat on http://{host}:{port}/ (API docs at /docs)\n")
    uvicorn.run(build_server(assistant), host=host, port=port, log_level="warning")
    return 0


def _listed_or_removed(entries: NameFile, args: argparse.Namespace, command: str) -> bool:
    """``list`` and ``remove NAME`` of ``quellen users`` / ``quellen keys``; False when the action is ``add``."""
    if args.action == "list":
        for name in entries.names():
            sys.stdout.write(name + "\n")
        return True
    if not args.name:
        raise ValueError(f"quellen {command} {args.action} needs a NAME")
    if args.action == "add":
        return False
    try:
        entries.remove(args.name)
    except KeyError as error:
        raise ValueError(str(error.args[0])) from None
    sys.stdout.write(f"removed {args.name}\n")
    return True


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from assistant.users import UsersFile

    users = UsersFile(_settings(args).users_path)
    if _listed_or_removed(users, args, "users"):
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise ValueError("the two passwords differ")
    users.add(args.name, password)
    sys.stdout.write(f"saved {args.name}; the chat now asks for a login\n")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from assistant.api_keys import ApiKeys

    keys = ApiKeys(_settings(args).api_keys_path)
    if _listed_or_removed(keys, args, "keys"):
        return 0
    sys.stdout.write(keys.add(args.name) + "\n")
    sys.stderr.write("keep it: it is shown only now (send it as Authorization: Bearer <key>)\n")
    return 0


def cmd_chats(args: argparse.Namespace) -> int:
    from assistant.chat_store import open_chat_store

    chats = open_chat_store(_settings(args))
    if args.id is None:
        for chat in chats.list(args.user):
            stamp = chat.updated.strftime("%Y-%m-%d %H:%M")
            sys.stdout.write(f"{chat.id}\t{stamp} UTC\t{chat.exchanges} questions\t{chat.title}\n")
        return 0
    try:
        conversation = chats.load(args.user, args.id)
    except KeyError:
        raise ValueError(f"no conversation {args.id} of user {args.user}") from None
    if args.json:
        _print_json(conversation.to_json())
    else:
        sys.stdout.write(conversation.to_markdown(args.headings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quellen", description="Cited answers from German and English documents.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--chroma-url", dest="chroma_url", help="Chroma server, e.g. http://127.0.0.1:8000")
    common.add_argument("--embedder", help="use-multilingual | e5-small-nano | sentence-transformers model")
    common.add_argument("--backend", dest="llm_backend", choices=["local", "openai", "extractive"])
    common.add_argument("--openai-base-url", dest="openai_base_url")
    common.add_argument("--openai-model", dest="openai_model")
    common.add_argument("--state-dir", dest="state_dir", help="where the embedded Chroma lives")
    common.add_argument("--corpus", dest="corpus_dir", help="the documents folder")
    common.add_argument("--language", dest="language_filter", choices=["de", "en"], help="search only this language")
    common.add_argument(
        "--source",
        dest="sources",
        action="append",
        metavar="PATTERN",
        help="answer only from documents matching this glob or folder (repeatable)",
    )
    common.add_argument("--retrieval", dest="retrieval_mode", choices=["dense", "bm25", "hybrid"])
    common.add_argument(
        "--translate",
        dest="translate_query",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also search with the question translated by the LLM (default: on with an LLM)",
    )
    common.add_argument("--rerank", dest="reranker", choices=["none", "llm"], help="LLM judge over the candidates")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="index a folder or file (default: the corpus)")
    p.add_argument("path", nargs="?")
    p.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    p.add_argument("--watch", action="store_true", help="then follow the corpus folder: ingest every change")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("retrieve", parents=[common], help="show the passages found for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="number of passages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retrieve)

    p = sub.add_parser("ask", parents=[common], help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--stream", action="store_true", help="print tokens as they are generated")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="start the chat UI")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--watch", action="store_true", help="ingest new, changed and deleted files of the corpus folder")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", parents=[common], help="the HTTP API (REST and OpenAI-compatible) and the chat")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--watch", action="store_true", help="ingest new, changed and deleted files of the corpus folder")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("docs", parents=[common], help="list the indexed documents")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("users", parents=[common], help="who may log in to the chat (bcrypt-hashed passwords)")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("keys", parents=[common], help="keys for the HTTP API (needed once the chat has a login)")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("chats", parents=[common], help="list saved conversations, or export one")
    p.add_argument("id", nargs="?", help="a conversation id: print it (Markdown, or --json)")
    p.add_argument("--user", default=LOCAL_USER, help="whose conversations (default: local, the user without login)")
    p.add_argument("--json", action="store_true", help="the conversation with the public citation shape")
    p.add_argument("--headings", choices=["de", "en"], default="en", help="language of the Markdown headings")
    p.set_defaults(func=cmd_chats)

    p = sub.add_parser("eval", parents=[common], help="evaluate retrieval, answers and citations")
    from eval.cli import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from pydantic import ValidationError

    from assistant.pipeline import InvalidQuestionError
    from assistant.store import EmbedderMismatchError

    try:
        return int(args.func(args))
    except (InvalidQuestionError, EmbedderMismatchError, FileNotFoundError, ValidationError, ValueError) as error:
        sys.stderr.write(f"quellen: {error}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
