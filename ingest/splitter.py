"""Split documents into sentence-aware chunks that know where they sit in the source.

llama-index's ``SentenceSplitter`` does the splitting (paragraphs, then sentences, then
words) with overlap.  It is given a character "tokenizer" so that ``chunk_size`` is in
characters, whatever the embedder: no tiktoken download, and the same chunks for every
model.  llama-index records each chunk's character offsets in its document; they are
checked here because a citation whose offsets are wrong is worse than none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import TextNode

from assistant.language import detect_language
from ingest.extract import Extracted

log = logging.getLogger(__name__)


#: whitespace around an overlap that the splitter trims; a little more than ever seen
_OVERLAP_SLACK = 8


def _characters(text: str) -> list[str]:
    return list(text)


def make_splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    return SentenceSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        tokenizer=_characters,
        paragraph_separator="\n\n",
        include_metadata=True,
        include_prev_next_rel=False,
    )


def _locate(node: TextNode, text: str, earliest: int, covered: int, overlap: int) -> tuple[int, int]:
    """Offsets of ``node`` in ``text``; recomputed if llama-index's are missing or wrong.

    Chunks come in document order, each overlaps its predecessor by at most ``overlap``
    characters and brings new text, so it ends after ``covered`` (the end of the one
    before).  Searching under those rules, not from the start, keeps a repeated phrase
    from being located at an earlier occurrence, which would cite the wrong place (found
    by a hypothesis test: llama-index itself reports such offsets).
    """
    content = node.get_content()

    def plausible(start: int) -> bool:
        return start >= earliest and start >= covered - overlap - _OVERLAP_SLACK and start + len(content) > covered

    start, end = node.start_char_idx, node.end_char_idx
    if start is not None and end is not None and text[start:end] == content and plausible(start):
        return start, end
    found = text.find(content, earliest)
    while found >= 0 and not plausible(found):
        found = text.find(content, found + 1)
    if found < 0:
        found = text.find(content, earliest)
    if found < 0:
        found = text.find(content)
    if found < 0:
        raise ValueError(f"chunk not found in its source {node.metadata.get('source')!r}")
    return found, found + len(content)


def split_documents(documents: Sequence[Document], chunk_size: int, chunk_overlap: int) -> list[TextNode]:
    """Chunks of all ``documents``; each chunk's metadata has source, language, start and end.

    Chunks of documents with structure also get ``section`` (heading) and ``page`` (PDF).
    """
    splitter = make_splitter(chunk_size, chunk_overlap)
    chunks: list[TextNode] = []
    for document in documents:
        structure = Extracted(
            document.text,
            [(int(o), str(h)) for o, h in json.loads(document.metadata.get("sections_json") or "[]")],
            [int(o) for o in json.loads(document.metadata.get("pages_json") or "[]")],
        )
        earliest = covered = 0
        for index, node in enumerate(splitter.get_nodes_from_documents([document])):
            if not isinstance(node, TextNode) or not node.get_content().strip():
                continue
            start, end = _locate(node, document.text, earliest, covered, chunk_overlap)
            earliest, covered = start + 1, max(covered, end)
            node.start_char_idx, node.end_char_idx = start, end
            node.id_ = f"{document.doc_id}#{index}"
            for key in ("sections_json", "pages_json", "ocr_pages"):
                node.metadata.pop(key, None)
            node.excluded_embed_metadata_keys = [k for k in node.excluded_embed_metadata_keys if k in node.metadata]
            node.excluded_llm_metadata_keys = [k for k in node.excluded_llm_metadata_keys if k in node.metadata]
            node.metadata.update(
                chunk_index=index,
                start=start,
                end=end,
                language=detect_language(node.get_content(), default=document.metadata.get("language", "en")),
            )
            if structure.sections:
                # the middle, not the start: with overlap a chunk often starts at the end of the section before
                node.metadata["section"] = structure.section_at((start + end) // 2)
            page = structure.page_at(start)
            if page is not None:
                node.metadata["page"] = page
                node.metadata["page_end"] = structure.page_at(max(start, end - 1))
            chunks.append(node)
    return chunks
