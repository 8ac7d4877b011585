"""Saved conversations: every exchange with its answer, citations, settings and rating, per user.

A page reload or a server restart must lose nothing, so each finished exchange is one
committed row.  SQLite in ``state_dir`` by default (WAL, so readers never wait for the
one writer); any SQLAlchemy URL (``database_url``, e.g. PostgreSQL) for a server.  An
exchange still being answered when the process dies is simply not there: the rows
before it stay readable.

Every method takes the user: a user only ever reads, renames or deletes their own
conversations (the UI passes the logged-in name, or ``LOCAL_USER`` without login).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine

from assistant.config import Settings
from assistant.conversation import Conversation, Exchange
from assistant.feedback import settings_record
from assistant.types import Answer

log = logging.getLogger(__name__)

#: a title longer than this is cut (the list shows titles on one line)
MAX_TITLE_CHARS = 120

metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user", String(200), nullable=False, index=True),
    Column("title", String(MAX_TITLE_CHARS), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

exchanges = Table(
    "exchanges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("question", Text, nullable=False),
    #: Answer.to_record(): text, citations with quote offsets, closest passages, timings
    Column("answer", Text, nullable=False),
    #: the settings that produced the answer (backend, top_k, scope, …)
    Column("settings", Text, nullable=False),
    Column("rating", String(4)),
    Column("comment", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    #: asked twice at the same place (a retried request) stays one exchange
    UniqueConstraint("conversation_id", "position", name="one_exchange_per_place"),
)


@dataclass(frozen=True)
class ChatSummary:
    """One line of the conversation list."""

    id: str
    title: str
    updated: datetime
    exchanges: int


@dataclass
class StoredExchange:
    question: str
    answer: Answer
    settings: dict[str, Any] = field(default_factory=dict)
    rating: str | None = None
    comment: str | None = None


def title_of(question: str) -> str:
    """A conversation is titled by its first question, on one line."""
    text = " ".join(question.split())
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL: readers do not block the writer; foreign keys so deleting a conversation deletes its rows."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_chat_store(settings: Settings) -> ChatStore:
    """The conversations database the settings name (SQLite in ``state_dir`` unless ``database_url``).

    With ``keep_conversations`` off, a store that keeps nothing (the chat forgets on reload).
    """
    if not settings.keep_conversations:
        return ForgetfulChatStore()
    if settings.database_url is None:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
    return ChatStore(settings.conversations_url)


class ChatStore:
    """The conversations of all users in one database."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        log.info("conversations in %s", self.engine.url.render_as_string(hide_password=True))

    # --- writing ---
    def append(self, user: str, conversation: Conversation, question: str, answer: Answer, settings: Settings) -> None:
        """Store a finished exchange and add it to ``conversation`` (saved at its first exchange)."""
        if conversation.id is None:
            conversation.id = self.create(user, question)
            conversation.title = title_of(question)
        position = len(conversation.exchanges)
        self.add_exchange(user, conversation.id, position, question, answer, settings_record(settings))
        conversation.add(question, answer)

    def create(self, user: str, first_question: str) -> str:
        """A new, empty conversation titled by its first question; its id."""
        chat_id = str(uuid.uuid4())
        now = _now()
        with self.engine.begin() as db:
            db.execute(
                conversations.insert().values(
                    id=chat_id, user=user, title=title_of(first_question), created=now, updated=now
                )
            )
        return chat_id

    def add_exchange(
        self, user: str, chat_id: str, position: int, question: str, answer: Answer, settings: dict[str, Any]
    ) -> None:
        """Store a finished exchange at ``position`` (0-based) in one transaction."""
        now = _now()
        with self.engine.begin() as db:
            self._check_owner(db, user, chat_id)
            db.execute(
                exchanges.insert().values(
                    conversation_id=chat_id,
                    position=position,
                    question=question,
                    answer=json.dumps(answer.to_record(), ensure_ascii=False),
                    settings=json.dumps(settings, ensure_ascii=False, default=str),
                    created=now,
                )
            )
            db.execute(conversations.update().where(conversations.c.id == chat_id).values(updated=now))

    def rate(self, user: str, chat_id: str, position: int, rating: str, comment: str = "") -> None:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        with self.engine.begin() as db:
            self._check_owner(db, user, chat_id)
            db.execute(
                exchanges.update()
                .where(exchanges.c.conversation_id == chat_id, exchanges.c.position == position)
                .values(rating=rating, comment=comment.strip() or None)
            )

    def rename(self, user: str, chat_id: str, title: str) -> None:
        title = title_of(title)
        if not title:
            raise ValueError("a conversation needs a title")
        with self.engine.begin() as db:
            self._check_owner(db, user, chat_id)
            db.execute(conversations.update().where(conversations.c.id == chat_id).values(title=title))

    def delete(self, user: str, chat_id: str) -> None:
        with self.engine.begin() as db:
            self._check_owner(db, user, chat_id)
            db.execute(exchanges.delete().where(exchanges.c.conversation_id == chat_id))
            db.execute(conversations.delete().where(conversations.c.id == chat_id))

    # --- reading ---
    def list(self, user: str) -> list[ChatSummary]:
        """The user's conversations, most recently continued first."""
        counts = (
            select(exchanges.c.conversation_id, func.count().label("n"))
            .group_by(exchanges.c.conversation_id)
            .subquery()
        )
        query = (
            select(conversations.c.id, conversations.c.title, conversations.c.updated, counts.c.n)
            .outerjoin(counts, counts.c.conversation_id == conversations.c.id)
            .where(conversations.c.user == user)
            .order_by(conversations.c.updated.desc(), conversations.c.created.desc())
        )
        with self.engine.connect() as db:
            return [ChatSummary(row.id, row.title, _aware(row.updated), row.n or 0) for row in db.execute(query)]

    def load(self, user: str, chat_id: str) -> Conversation:
        """The stored conversation, ready to continue (its id set, exchanges in order)."""
        with self.engine.connect() as db:
            title = self._check_owner(db, user, chat_id)
            rows = db.execute(
                select(exchanges).where(exchanges.c.conversation_id == chat_id).order_by(exchanges.c.position)
            ).all()
        conversation = Conversation(id=chat_id, title=title)
        for row in rows:
            conversation.exchanges.append(Exchange(row.question, Answer.from_record(json.loads(row.answer))))
        return conversation

    def stored_exchanges(self, user: str, chat_id: str) -> list[StoredExchange]:
        """Exchanges with the settings and ratings stored beside them."""
        with self.engine.connect() as db:
            self._check_owner(db, user, chat_id)
            rows = db.execute(
                select(exchanges).where(exchanges.c.conversation_id == chat_id).order_by(exchanges.c.position)
            ).all()
        return [
            StoredExchange(
                r.question, Answer.from_record(json.loads(r.answer)), json.loads(r.settings), r.rating, r.comment
            )
            for r in rows
        ]

    def count_exchanges(self) -> int:
        """All stored exchanges of all users (benchmarks count them against the answers given)."""
        with self.engine.connect() as db:
            return int(db.execute(select(func.count()).select_from(exchanges)).scalar_one())

    def _check_owner(self, db: Any, user: str, chat_id: str) -> str:
        """The conversation's title; KeyError when it does not exist or is not ``user``'s."""
        row = db.execute(
            select(conversations.c.title).where(conversations.c.id == chat_id, conversations.c.user == user)
        ).first()
        if row is None:
            raise KeyError(f"no conversation {chat_id} of {user}")
        return str(row.title)

    def close(self) -> None:
        self.engine.dispose()


class ForgetfulChatStore(ChatStore):
    """Keeps nothing: conversations live only in the page (``keep_conversations = false``)."""

    def __init__(self) -> None:
        log.info("conversations are not kept (keep_conversations is off)")

    def append(self, user: str, conversation: Conversation, question: str, answer: Answer, settings: Settings) -> None:
        conversation.add(question, answer)

    def create(self, user: str, first_question: str) -> str:
        raise KeyError("conversations are not kept")

    def add_exchange(self, *args: Any, **kwargs: Any) -> None:
        raise KeyError("conversations are not kept")

    def rate(self, *args: Any, **kwargs: Any) -> None:
        return None

    def rename(self, user: str, chat_id: str, title: str) -> None:
        raise KeyError("conversations are not kept")

    def delete(self, user: str, chat_id: str) -> None:
        raise KeyError("conversations are not kept")

    def list(self, user: str) -> list[ChatSummary]:
        return []

    def load(self, user: str, chat_id: str) -> Conversation:
        raise KeyError("conversations are not kept")

    def stored_exchanges(self, user: str, chat_id: str) -> list[StoredExchange]:
        raise KeyError("conversations are not kept")

    def count_exchanges(self) -> int:
        return 0

    def close(self) -> None:
        return None


def _aware(stamp: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
