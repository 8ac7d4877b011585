"""OCR quality and speed on scans made from the seed texts (German and English).

Each seed text's first page is rendered (bench/scans.py) at 150 and 300 dpi, once
skewed by 2 degrees and once with speckle noise, read by Tesseract exactly as ingest
reads it (ingest/ocr.py), and compared with the text it was made from: character error
rate (Levenshtein distance / length, whitespace normalised) and seconds per page; then
a scanned PDF of every seed is ingested whole, seconds per page.

    .venv/bin/python bench/ocr.py
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

log = logging.getLogger("bench.ocr")

VARIANTS = {
    "150 dpi": {"dpi": 150},
    "300 dpi": {"dpi": 300},
    "300 dpi, skewed 2°": {"dpi": 300, "skew": 2.0},
    "300 dpi, noise 0.5 %": {"dpi": 300, "noise": 0.005},
}


def character_error_rate(read: str, truth: str) -> float:
    from rapidfuzz.distance import Levenshtein

    read, truth = " ".join(read.split()), " ".join(truth.split())
    return Levenshtein.distance(read, truth) / max(1, len(truth))


def main() -> None:
    from assistant.config import PROJECT_ROOT, Settings
    from assistant.language import detect_language
    from assistant.pipeline import build_assistant
    from bench.scans import page_text, render_page
    from ingest.ocr import ocr_image

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seeds = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    pages = {seed.name: page_text(seed.read_text(encoding="utf-8")) for seed in seeds}
    rows = []
    for variant, options in VARIANTS.items():
        for language in ("de", "en"):
            rates, seconds = [], []
            for truth in pages.values():
                if detect_language(truth) != language:
                    continue
                image = render_page(truth, **options)
                started = time.perf_counter()
                read = ocr_image(image)
                seconds.append(time.perf_counter() - started)
                rates.append(character_error_rate(read, truth))
            rows.append((variant, language, len(rates), statistics.mean(rates), statistics.median(seconds)))
    log.info("| scan | language | pages | CER | OCR s/page (p50) |")
    log.info("| --- | --- | --- | --- | --- |")
    for variant, language, n, rate, seconds in rows:
        log.info("| %s | %s | %d | %.3f | %.2f |", variant, language, n, rate, seconds)

    with tempfile.TemporaryDirectory(prefix="quellen-ocr-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for name, truth in pages.items():
            image = render_page(truth, dpi=300).convert("RGB")
            image.save(corpus / name.replace(".txt", ".pdf"), resolution=300)
        assistant = build_assistant(
            Settings(corpus_dir=corpus, state_dir=Path(tmp) / "state", llm_backend="extractive")
        )
        started = time.perf_counter()
        report = assistant.ingest()
        elapsed = time.perf_counter() - started
    log.info(
        "ingest of %d scanned one-page PDFs (300 dpi): %.1f s, %.2f s per page (%s)",
        len(pages),
        elapsed,
        elapsed / len(pages),
        report.summary().splitlines()[0],
    )


if __name__ == "__main__":
    main()
