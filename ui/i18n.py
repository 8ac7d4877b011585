"""The UI's words in German and English.

Static labels go through Gradio's ``gr.I18n`` (the browser's language picks the set);
messages made on the server pick theirs from the request's Accept-Language header.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "## quellen — Antworten mit Quellen",
        "chat": "Chat",
        "documents": "Dokumente",
        "settings": "Einstellungen",
        "placeholder": "Frage auf Deutsch oder Englisch …",
        "ask": "Fragen",
        "examples": "Beispiele",
        "new_chat": "Neuer Chat",
        "export": "Als Markdown exportieren",
        "comment": "Kommentar zur Bewertung (optional)",
        "send_comment": "Kommentar senden",
        "citations": "Quellen der Antwort — zum Prüfen anklicken",
        "viewer": "Quelltext",
        "upload": "Dateien hinzufügen (txt, md, html, pdf, docx)",
        "add": "Hochladen und indexieren",
        "doc_table": "Indexierte Dokumente",
        "remove_choice": "Dokument",
        "remove": "Aus dem Index entfernen",
        "backend": "Antwort-Backend",
        "model": "Modell (OpenAI-kompatibler Endpunkt)",
        "top_k": "Anzahl Textstellen",
        "language_filter": "Nur in dieser Sprache suchen",
        "reranker": "LLM-Reranker (langsamer, ~15 s)",
        "translate": "Frage auch übersetzt suchen (DE↔EN)",
        "settings_note": "Änderungen gelten ab der nächsten Frage, nur für diese Sitzung.",
        "all": "alle",
        # server-side messages
        "rated": "Danke für die Bewertung ({rating}).",
        "nothing_to_rate": "Bitte zuerst eine Antwort bewerten.",
        "backend_failed": "Das Antwort-Backend ist ausgefallen ({error}). Die Frage steht noch im Eingabefeld.",
        "comment_saved": "Kommentar gespeichert.",
        "no_files": "Keine Dateien ausgewählt.",
        "added": "{summary}",
        "refused": "Abgelehnt: {reason}",
        "removed": "{source} entfernt; die Datei liegt jetzt in {where}.",
        "removed_no_file": "{source} aus dem Index entfernt.",
        "pick_document": "Bitte ein Dokument auswählen.",
        "no_source": "Das Dokument {source} ist nicht mehr im Index.",
        "passage": "Textstelle",
        "chars": "Zeichen",
        "page": "Seite",
        "shortened": "Ausschnitt aus einem langen Dokument: Zeichen {start}–{end} von {total}.",
    },
    "en": {
        "title": "## quellen — answers with sources",
        "chat": "Chat",
        "documents": "Documents",
        "settings": "Settings",
        "placeholder": "Ask in German or English …",
        "ask": "Ask",
        "examples": "Examples",
        "new_chat": "New chat",
        "export": "Export as Markdown",
        "comment": "Comment on your rating (optional)",
        "send_comment": "Send comment",
        "citations": "Sources of the answer — click one to check it",
        "viewer": "Source text",
        "upload": "Add files (txt, md, html, pdf, docx)",
        "add": "Upload and index",
        "doc_table": "Indexed documents",
        "remove_choice": "Document",
        "remove": "Remove from the index",
        "backend": "Answer backend",
        "model": "Model (OpenAI-compatible endpoint)",
        "top_k": "Number of passages",
        "language_filter": "Search only this language",
        "reranker": "LLM reranker (slower, ~15 s)",
        "translate": "Also search with the question translated (DE↔EN)",
        "settings_note": "Changes apply from the next question, for this session only.",
        "all": "all",
        "rated": "Thank you for the rating ({rating}).",
        "nothing_to_rate": "Please rate an answer first.",
        "backend_failed": "The answer backend failed ({error}). Your question is still in the input box.",
        "comment_saved": "Comment saved.",
        "no_files": "No files selected.",
        "added": "{summary}",
        "refused": "Refused: {reason}",
        "removed": "{source} removed; the file now lies in {where}.",
        "removed_no_file": "{source} removed from the index.",
        "pick_document": "Please pick a document.",
        "no_source": "The document {source} is no longer in the index.",
        "passage": "Passage",
        "chars": "characters",
        "page": "page",
        "shortened": "Excerpt of a long document: characters {start}–{end} of {total}.",
    },
}

I18N = gr.I18n(**TEXTS)


def t(key: str) -> Any:
    """A label that the browser shows in its language."""
    return I18N(key)


def language_of(request: gr.Request | None) -> str:
    """``de`` when the browser prefers German (Accept-Language), else ``en``."""
    header = ""
    if request is not None:
        header = (request.headers.get("accept-language") or "").lower()
    return "de" if header.startswith("de") else "en"


def say(request: gr.Request | None, key: str, **values: object) -> str:
    """A server-side message in the browser's language."""
    return TEXTS[language_of(request)][key].format(**values)
