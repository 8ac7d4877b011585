"""Answer latency on this machine: retrieval, time to first token, total, tokens per second.

Runs a few fixed questions (German and English) through the real pipeline, once per
answer backend given, against a fresh index of the default corpus in a temporary
folder.  Ratios are printed against the extractive backend measured in the same run,
so the numbers compare across machines of different speed.

    .venv/bin/python bench/answer_latency.py --backends extractive local
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.pipeline import build_assistant
from assistant.types import Answer, Token

QUESTIONS = [
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
    "Wer sitzt im Managing Committee von METREX?",
    "How many members does the European Innovation Policy group on LinkedIn have?",
    "Was macht das Europabüro der Region Stuttgart in Brüssel?",
]

log = logging.getLogger("bench.answer_latency")


def measure(backend: str, state_dir: Path) -> dict[str, float]:
    assistant = build_assistant(Settings(state_dir=state_dir, llm_backend=backend))  # type: ignore[arg-type]
    assistant.ensure_ingested()
    started = time.perf_counter()
    _ = assistant.answerer  # load the model outside the timed questions
    load_seconds = time.perf_counter() - started
    rows = []
    for question in QUESTIONS:
        t0 = time.perf_counter()
        first = None
        pieces = 0
        answer: Answer | None = None
        for event in assistant.ask_stream(question):
            if isinstance(event, Token):
                pieces += 1
                first = first or time.perf_counter() - t0
            else:
                answer = event
        total = time.perf_counter() - t0
        assert answer is not None
        generation = total - (first or total)
        rows.append(
            {
                "retrieval": answer.timings.get("retrieval", 0.0),
                "first_token": first or total,
                "total": total,
                "tokens_per_s": pieces / generation if generation > 0 and pieces > 1 else 0.0,
            }
        )
        log.info("%s %.1fs %s", backend, total, answer.answer[:80].replace("\n", " "))
    summary = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    summary["load"] = load_seconds
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["extractive", "local"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            results[backend] = measure(backend, Path(tmp))
    base = results.get("extractive") or next(iter(results.values()))
    lines = ["| backend | load s | retrieval s (p50) | first token s (p50) | total s (p50) | x extractive | tokens/s |"]
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for backend, r in results.items():
        lines.append(
            f"| {backend} | {r['load']:.1f} | {r['retrieval']:.3f} | {r['first_token']:.2f} | {r['total']:.2f} "
            f"| {r['total'] / base['total']:.1f} | {r['tokens_per_s']:.1f} |"
        )
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
