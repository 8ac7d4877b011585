"""The text a chunk is searched by: its section heading, then its own words.

A chunk cut out of a section often no longer names its subject ("The aim of the network
is …" below the heading "METREX (…)"), and neither the embedding nor BM25 can connect
it to "What is the purpose of METREX?".  Searching the chunk together with its heading
(the "contextual chunk headers" of other retrieval systems) keeps the connection.  Only
the search sees the heading: the stored passage, its offsets and the quotes are the
document's own text.  Ingest (embeddings) and the BM25 index both call this, so the two
searches see the same words.
"""

from __future__ import annotations


def searchable_text(text: str, section: str = "") -> str:
    """``text`` preceded by ``section`` unless the chunk already holds the heading."""
    section = section.strip()
    if not section or section in text:
        return text
    return f"{section}\n\n{text}"
