"""Questions whose answer is one table cell, over Word, HTML and PDF tables (bench/table_docs.py).

Per answer backend: key facts (the cell's value in the answer) and citation precision
(cited passages that hold the cell's row), per document type and overall.

    .venv/bin/python bench/tables.py                       # extractive and local
    .venv/bin/python bench/tables.py --backends extractive
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections import defaultdict
from pathlib import Path

log = logging.getLogger("bench.tables")


def main() -> None:
    from assistant.config import Settings
    from assistant.pipeline import build_assistant
    from bench.table_docs import QUESTIONS, write_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["extractive", "local"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    with tempfile.TemporaryDirectory(prefix="quellen-tables-") as tmp:
        corpus = write_corpus(Path(tmp) / "corpus")
        base = build_assistant(Settings(corpus_dir=corpus, state_dir=Path(tmp) / "state", llm_backend="extractive"))
        base.library.ensure_ingested()
        for backend in args.backends:
            assistant = base.variant(llm_backend=backend)
            scores: dict[str, list[tuple[bool, float]]] = defaultdict(list)
            for item in QUESTIONS:
                answer = assistant.ask(item.question)
                text = " ".join(answer.answer.split())
                found = any(fact in text for fact in item.facts)
                cited = [c for c in answer.citations]
                right = sum(c.passage.source == item.source and item.row in c.passage.text for c in cited)
                precision = right / len(cited) if cited else 0.0
                kind = Path(item.source).suffix.lstrip(".")
                scores[kind].append((found, precision))
                scores["all"].append((found, precision))
                if not found:
                    log.info("  %s missed %r: %s", backend, item.question, text[:160])
            for kind, values in scores.items():
                key_facts = sum(f for f, _ in values) / len(values)
                precision = sum(p for _, p in values) / len(values)
                rows.append((backend, kind, len(values), key_facts, precision))
    log.info("| backend | documents | questions | key facts | citation precision |")
    log.info("| --- | --- | --- | --- | --- |")
    for backend, kind, n, key_facts, precision in rows:
        log.info("| %s | %s | %d | %.2f | %.2f |", backend, kind, n, key_facts, precision)


if __name__ == "__main__":
    main()
