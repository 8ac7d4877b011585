"""Ingestion and retrieval at scale: real German/English collections from Debian's packages.

Fetch the documents once (``../shared/corpora/fetch.sh DIR``), then

    .venv/bin/python bench/scale.py --data DIR [--limit N] [--profile]

ingests ``DIR/reference/{de,en}`` (Debian Reference, HTML) and ``DIR/man-de``,
``DIR/man-en`` (man pages, rendered by ``man``) into a fresh index in a temporary
folder and reports: documents, chunks, chunks/s, peak memory, index size on disk, the
time of an unchanged re-ingest, and retrieval p50/p95 at that size against the seed
corpus measured in the same run (ratios, so the figures compare across machines).
``--profile`` writes a cProfile of the ingest to ``scale.prof`` and prints the top
functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.pipeline import Assistant, build_assistant

log = logging.getLogger("bench.scale")

QUERIES = [
    "Wie konfiguriere ich das Netzwerk?",
    "How do I configure the network?",
    "Wie ändere ich die Zeitzone des Systems?",
    "How do I upgrade Debian to a new release?",
    "Welche Optionen hat der Befehl ls?",
    "What does apt-get autoremove do?",
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
]


def collect(data: Path, limit: int | None, target: Path) -> int:
    """Copy the collection's files below ``target`` (one folder per part); returns the count."""
    parts = {"reference-de": data / "reference" / "de", "reference-en": data / "reference" / "en"}
    parts |= {"man-de": data / "man-de", "man-en": data / "man-en"}
    count = 0
    for name, folder in parts.items():
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing: run ../shared/corpora/fetch.sh {data} first")
        files = sorted(p for p in folder.iterdir() if p.is_file())
        for file in files[:limit] if limit else files:
            (target / name).mkdir(parents=True, exist_ok=True)
            shutil.copy(file, target / name / file.name)
            count += 1
    return count


def latency(assistant: Assistant, rounds: int = 5) -> dict[str, float]:
    timings = []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            assistant.retrieve(query)
            timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "p50_ms": 1000 * statistics.median(timings),
        "p95_ms": 1000 * timings[int(0.95 * (len(timings) - 1))],
    }


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder given to fetch.sh")
    parser.add_argument("--limit", type=int, help="at most N files per part (quick runs)")
    parser.add_argument("--profile", action="store_true", help="cProfile the ingest")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-scale-") as tmp:
        root = Path(tmp)
        # baseline: the seed corpus, same machine, same run
        seed = build_assistant(Settings(state_dir=root / "seed", llm_backend="extractive"))
        seed.library.ingest()
        seed.retrieve("warm-up")
        results["seed"] = {"chunks": seed.store.count(), **latency(seed)}

        corpus = root / "corpus"
        results["files"] = collect(args.data, args.limit, corpus)
        settings = Settings(corpus_dir=corpus, state_dir=root / "scale", llm_backend="extractive")
        big = build_assistant(settings)
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = big.library.ingest()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        chunks = big.store.count()
        results["ingest"] = {
            "documents": len(report.added),
            "skipped": len(report.skipped),
            "skipped_reasons": sorted({s.reason.split(": ", 1)[-1] for s in report.skipped})[:10],
            "chunks": chunks,
            "seconds": seconds,
            "chunks_per_s": chunks / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "index_mb": folder_size(settings.chroma_path) / 1e6,
        }
        log.warning("ingest: %s", json.dumps(results["ingest"]))
        started = time.perf_counter()
        again = big.library.ingest()
        results["reingest_unchanged"] = {"seconds": time.perf_counter() - started, "embedded": again.chunks_embedded}
        log.warning("unchanged re-ingest: %s", json.dumps(results["reingest_unchanged"]))
        started = time.perf_counter()
        big.retrieve("warm-up")  # builds the BM25 index once
        results["first_question_s"] = time.perf_counter() - started
        started = time.perf_counter()
        build_assistant(settings).retrieve("warm-up")  # a restart: the BM25 index comes from disk
        results["first_question_after_restart_s"] = time.perf_counter() - started
        results["scale"] = {"chunks": chunks, **latency(big)}
        seed_p50 = results["seed"]["p50_ms"]  # type: ignore[index]
        results["ratio_p50_scale_vs_seed"] = results["scale"]["p50_ms"] / seed_p50  # type: ignore[index]
        if profiler:
            profiler.dump_stats("scale.prof")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    sys.stdout.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
