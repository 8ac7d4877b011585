"""What the UI shows, in the reader's language: status line, choices, tables, summaries.

Pure functions from the assistant's values to display text, so the page holds no
server paths, raw UTC stamps or programmers' words ("extractive"), and tests can check
each text without a browser.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.chat_store import ChatSummary
from assistant.pipeline import Assistant
from assistant.store import SourceRecord
from ingest.pipeline import IngestReport
from ingest.upload import UploadError

#: how each answer backend is named for people who do not know the word "backend"
BACKEND_LABELS = {
    "de": {
        "local": "Sprachmodell auf diesem Rechner formuliert die Antwort (langsamer)",
        "extractive": "Nur wörtliche Zitate aus den Dokumenten (schnell, ohne Sprachmodell)",
        "openai": "Externer Sprachmodell-Dienst formuliert die Antwort",
    },
    "en": {
        "local": "A language model on this computer writes the answer (slower)",
        "extractive": "Quotes from the documents only (fast, no language model)",
        "openai": "An external language-model service writes the answer",
    },
}
_SHORT_BACKEND = {
    "de": {"local": "Sprachmodell (lokal)", "extractive": "wörtliche Zitate", "openai": "externer Dienst"},
    "en": {"local": "language model (local)", "extractive": "quotes only", "openai": "external service"},
}
_SEARCH = {
    "de": {
        "dense": "nach Bedeutung",
        "bm25": "nach Wörtern",
        "hybrid": "nach Bedeutung und Wörtern",
        "translation": "auch übersetzt (DE↔EN)",
        "rerank": "vom Sprachmodell nachsortiert",
        "only_de": "nur deutsche Texte",
        "only_en": "nur englische Texte",
        "scoped": "nur ausgewählte Dokumente",
    },
    "en": {
        "dense": "by meaning",
        "bm25": "by words",
        "hybrid": "by meaning and words",
        "translation": "also translated (DE↔EN)",
        "rerank": "re-sorted by the language model",
        "only_de": "German texts only",
        "only_en": "English texts only",
        "scoped": "chosen documents only",
    },
}
_STATUS = {
    "de": "{documents} Dokumente, {chunks} Textabschnitte · Suche {search} · Antworten: {backend}",
    "en": "{documents} documents, {chunks} passages · Search {search} · Answers: {backend}",
}
DOCUMENT_HEADERS = {
    "de": ["Dokument", "Sprache", "Textabschnitte", "Aufgenommen", "Texterkennung (OCR)"],
    "en": ["Document", "Language", "Passages", "Added", "Read by OCR"],
}
_OCR_PAGES = {"de": "S. {pages}", "en": "p. {pages}"}
_LANGUAGES = {"de": {"de": "Deutsch", "en": "Englisch"}, "en": {"de": "German", "en": "English"}}
_UPLOAD = {
    "de": "{added} neu, {updated} aktualisiert, {unchanged} unverändert, {skipped} übersprungen · "
    "{chunks} Textabschnitte in {seconds} s",
    "en": "{added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped · "
    "{chunks} passages in {seconds} s",
}
_SKIPPED = {"de": "Übersprungen: {name} ({reason})", "en": "Skipped: {name} ({reason})"}
_REFUSED = {
    "de": {
        "bad_name": "Abgelehnt: „{name}“ ist kein brauchbarer Dateiname.",
        "file_type": "Abgelehnt: „{name}“ hat keinen unterstützten Dateityp ({kinds} und man-Seiten).",
        "too_large": "Abgelehnt: „{name}“ ist {size} MB groß, erlaubt sind {limit} MB.",
        "empty": "Abgelehnt: „{name}“ ist leer.",
        "outside": "Abgelehnt: „{name}“ würde außerhalb des Dokumentenordners landen.",
    },
    "en": {
        "bad_name": "Refused: “{name}” is not a usable file name.",
        "file_type": "Refused: “{name}” is not a supported file type ({kinds} and man pages).",
        "too_large": "Refused: “{name}” has {size} MB, the limit is {limit} MB.",
        "empty": "Refused: “{name}” is empty.",
        "outside": "Refused: “{name}” would land outside the documents folder.",
    },
}


def backend_choices(assistant: Assistant, language: str) -> list[tuple[str, str]]:
    return [(BACKEND_LABELS[language][b], b) for b in assistant.answer_backends()]


def status_line(session: Assistant, language: str) -> str:
    """Documents, search and answer mode of this session, in words; no server path."""
    settings = session.settings
    words = _SEARCH[language]
    search = [words[step] for step in session.search_steps() if step in words]
    return _STATUS[language].format(
        documents=len(session.store.source_names()),
        chunks=f"{session.store.count():,}".replace(",", "." if language == "de" else ","),
        search=", ".join(search),
        backend=_SHORT_BACKEND[language][settings.llm_backend],
    )


def local_time(stamp: str | datetime, language: str, zone: str) -> str:
    """An ISO/UTC stamp as a reader's local time: "24.11.2026, 22:15" or "24 Nov 2026, 22:15"."""
    try:
        moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    except ValueError:
        return str(stamp)
    moment = moment.astimezone(ZoneInfo(zone))
    return moment.strftime("%d.%m.%Y, %H:%M" if language == "de" else "%d %b %Y, %H:%M")


def documents_table(documents: list[SourceRecord], language: str, zone: str) -> dict[str, list]:
    rows = [
        [
            d.source,
            _LANGUAGES[language].get(d.language, d.language),
            d.chunks,
            local_time(d.ingested_at, language, zone),
            _OCR_PAGES[language].format(pages=d.ocr_pages.replace(",", ", ")) if d.ocr_pages else "",
        ]
        for d in documents
    ]
    return {"headers": DOCUMENT_HEADERS[language], "data": rows}


def upload_summary(report: IngestReport, language: str) -> list[str]:
    """The ingest report of an upload, with file names only (never where they lie on the server)."""
    lines = [
        _UPLOAD[language].format(
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            skipped=len(report.skipped),
            chunks=report.chunks_embedded,
            seconds=f"{report.seconds:.1f}".replace(".", "," if language == "de" else "."),
        )
    ]
    for item in report.skipped:
        name = Path(item.path).name
        reason = item.reason.replace(str(item.path), name)
        lines.append(_SKIPPED[language].format(name=name, reason=reason))
    return lines


def refused_upload(error: UploadError, language: str) -> str:
    """Why an uploaded file was not taken, in the reader's language."""
    template = _REFUSED[language].get(error.kind)
    if template is None:
        return str(error)
    values = {
        key: (f"{value:.1f}".replace(".", "," if language == "de" else ".") if isinstance(value, float) else value)
        for key, value in error.values.items()
    }
    return template.format(name=error.name, **values)


def chat_choices(chats: list[ChatSummary], language: str, zone: str) -> list[tuple[str, str]]:
    """(label, id) for the conversation list: title and when it was last continued, newest first."""
    return [(f"{c.title} · {local_time(c.updated, language, zone)}", c.id) for c in chats]
