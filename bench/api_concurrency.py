"""Many HTTP API clients at once against ``quellen serve``: no error, the same answers as alone.

Each client is its own ``httpx.Client`` asking one question (round-robin over
``QUESTIONS``) through ``POST /api/ask``; the baseline is every question asked alone, in
the same run.  Throughput and p95 are printed with their ratios to the baseline.

    .venv/bin/python bench/api_concurrency.py --clients 20
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.concurrency import Outcome

log = logging.getLogger("bench.api_concurrency")

QUESTIONS = [
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
    "Was ist das IKM?",
    "Wer sitzt im Managing Committee von METREX?",
]


def ask(url: str, index: int, run: Outcome, lock: threading.Lock) -> None:
    """One client asking ``QUESTIONS[index]``; its answer is kept under ``(index, 0)`` as a dialogue's turn."""
    import httpx

    started = time.perf_counter()
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            response = client.post("/api/ask", json={"question": QUESTIONS[index]})
            response.raise_for_status()
            text = response.json()["answer"]
    except Exception as error:  # a failing client is the measurement
        with lock:
            run.errors.append(f"{type(error).__name__}: {error}")
        return
    with lock:
        run.latencies.append(time.perf_counter() - started)
        run.answers.setdefault((index, 0), set()).add(text)


def alone(url: str) -> Outcome:
    run, lock = Outcome(), threading.Lock()
    started = time.perf_counter()
    for index in range(len(QUESTIONS)):
        ask(url, index, run, lock)
    run.seconds = time.perf_counter() - started
    return run


def together(url: str, clients: int) -> Outcome:
    run, lock = Outcome(), threading.Lock()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for i in range(clients):
            pool.submit(ask, url, i % len(QUESTIONS), run, lock)
    run.seconds = time.perf_counter() - started
    return run


def main() -> None:
    from assistant.config import PROJECT_ROOT, Settings
    from assistant.pipeline import build_assistant
    from ui.serving import serving_api

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="quellen-api-bench-") as tmp:
        settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", state_dir=Path(tmp), llm_backend=args.backend)
        assistant = build_assistant(settings)
        assistant.library.ensure_ingested()
        with serving_api(assistant) as url:
            baseline = alone(url)
            loaded = together(url, args.clients)
    for name, run in (("alone", baseline), (f"{args.clients} clients", loaded)):
        log.info(
            "%-11s answers %3d  errors %d  throughput %.2f/s  p50 %.2f s  p95 %.2f s",
            name,
            len(run.latencies),
            len(run.errors),
            run.turns / run.seconds,
            run.p(0.5),
            run.p(0.95),
        )
    log.info(
        "ratios: throughput %.2fx, p95 %.2fx; answers differing from alone: %s",
        (loaded.turns / loaded.seconds) / (baseline.turns / baseline.seconds),
        loaded.p(0.95) / baseline.p(0.95),
        loaded.differing(baseline) or "none",
    )


if __name__ == "__main__":
    main()
