"""Property-based tests (hypothesis): offsets stay exact whatever the text looks like.

Citations are only worth something if ``text == source[start:end]`` always holds, for
chunks, for quoted sentences and for the spans verification points at.  These tests
generate German/English-like text with odd whitespace, abbreviations, numbers, markup
and control characters and check the invariants on the real code.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llama_index.core import Document

from assistant.answering import ExtractiveAnswerer
from assistant.pipeline import MAX_QUESTION_CHARS, Assistant, InvalidQuestionError, clean_question
from assistant.sentences import sentence_spans
from assistant.types import Answer, Passage
from assistant.verification import CitationVerifier
from ingest.splitter import split_documents

WORDS = [
    "Die",
    "Region",
    "Stuttgart",
    "ist",
    "Mitglied",
    "von",
    "METREX",
    "und",
    "EMTA",
    "am",
    "20.",
    "September",
    "2022",
    "Dr.",
    "Rogg",
    "z.B.",
    "the",
    "network",
    "of",
    "regions",
    "was",
    "founded",
    "in",
    "1996",
    "Größe",
    "Übersicht",
    "„Zitat“",
    "(Klammer)",
    "e.g.",
    "<b>fett</b>",
    "&amp;",
    "ca.",
    "3.5",
    "km²",
    "—",
    "…",
]
SEPARATORS = [" ", " ", " ", ". ", ", ", "\n", "\n\n", "! ", "? ", "\t", "  ", ".\n- ", "\r\n"]

words = st.sampled_from(WORDS)
separators = st.sampled_from(SEPARATORS)
texts = st.lists(st.tuples(words, separators), min_size=1, max_size=220).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@given(texts)
@settings(max_examples=200, deadline=None)
def test_sentence_spans_are_exact_ordered_slices(text: str) -> None:
    spans = sentence_spans(text)
    last_end = 0
    for start, end in spans:
        assert last_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        last_end = end


@given(texts, st.sampled_from([(80, 10), (120, 30), (300, 60)]))
@settings(max_examples=60, deadline=None)
def test_every_chunk_is_an_exact_slice_and_chunks_cover_the_text(text: str, sizes: tuple[int, int]) -> None:
    document = Document(id_="doc.txt", text=text, metadata={"source": "doc.txt", "language": "de"})
    chunks = split_documents([document], *sizes)
    covered = [False] * len(text)
    for chunk in chunks:
        start, end = chunk.metadata["start"], chunk.metadata["end"]
        assert text[start:end] == chunk.get_content()
        for i in range(start, end):
            covered[i] = True
    missing = [i for i, seen in enumerate(covered) if not seen and not text[i].isspace()]
    assert not missing, f"characters in no chunk: {[text[i] for i in missing[:10]]}"


def _passages(text: str, size: int = 160) -> list[Passage]:
    """Consecutive slices of ``text`` as passages (offsets into ``text``)."""
    cuts = [*range(0, len(text), size), len(text)]
    return [Passage("doc.txt", text[a:b], a, b, 0.5) for a, b in itertools.pairwise(cuts) if b > a][:5]


@given(texts, st.sampled_from(["Wann wurde das Netzwerk gegründet?", "Who is a member of METREX?"]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_extractive_quotes_are_exact_slices_of_the_source(assistant: Assistant, text: str, question: str) -> None:
    passages = _passages(text)
    answerer = ExtractiveAnswerer(assistant.embedder, min_score=-1.0)
    answer = next(e for e in answerer.stream(question, "de", passages) if isinstance(e, Answer))
    for citation in answer.citations:
        data = citation.to_json()
        if "quote" in data:
            quote = data["quote"]
            assert text[quote["start"] : quote["end"]] == quote["text"]  # type: ignore[index]
        assert text[citation.passage.start : citation.passage.end] == citation.passage.text


@given(texts, st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_verified_citation_spans_are_exact_slices(assistant: Assistant, text: str, markers: list[int]) -> None:
    passages = _passages(text)
    statements = [f"{passages[0].text[:60].strip() or 'Etwas'} [{n}]." for n in markers]
    verifier = CitationVerifier(assistant.embedder)
    answer = verifier.verify(Answer(" ".join(statements), "de"), passages)
    for citation in answer.citations:
        assert 1 <= citation.n <= len(passages), "markers never point nowhere"
        assert citation.quote_start is not None and citation.quote_end is not None
        assert text[citation.quote_start : citation.quote_end] == citation.quote
        assert citation.passage.start <= citation.quote_start <= citation.quote_end <= citation.passage.end


@given(st.text(max_size=3000))
@settings(max_examples=300, deadline=None)
def test_any_question_is_cleaned_or_refused_with_a_reason(raw: str) -> None:
    try:
        cleaned = clean_question(raw)
    except InvalidQuestionError as error:
        assert "empty" in str(error) or "characters" in str(error)
        return
    assert cleaned and len(cleaned) <= MAX_QUESTION_CHARS
    assert all(ch.isprintable() or ch in "\n\t" for ch in cleaned)
