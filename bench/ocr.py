"""OCR quality and speed on scans made from the seed texts (German and English).

Each seed text's first page is rendered (bench/scans.py) at 150 and 300 dpi, once
skewed by 2 degrees and once with speckle noise, read by Tesseract exactly as ingest
reads it (ingest/ocr.py), and compared with the text it was made from: character error
rate (Levenshtein distance / length, whitespace normalised) and seconds per page; then
a scanned PDF of every seed is ingested whole, seconds per page.

``--retrieval`` scans every seed whole (all pages, 300 dpi, as PDFs without a text
layer), reads them back as ingest does, and runs the corpus questions' retrieval on the
read text against the original text in one run (gold quotes located again in the OCR
text with rapidfuzz's alignment): hit@5 and MRR per group, side by side.

    .venv/bin/python bench/ocr.py
    .venv/bin/python bench/ocr.py --retrieval
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
    parser.add_argument("--retrieval", action="store_true", help="hit@5 on the OCR'd seeds vs the seeds")
    parser.add_argument(
        "--ocrmypdf", action="store_true", help="scanned PDFs read by ingest (pytesseract) vs by ocrmypdf, if installed"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.retrieval:
        retrieval_on_scans()
        return
    if args.ocrmypdf:
        against_ocrmypdf()
        return
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
        report = assistant.library.ingest()
        elapsed = time.perf_counter() - started
    log.info(
        "ingest of %d scanned one-page PDFs (300 dpi): %.1f s, %.2f s per page (%s)",
        len(pages),
        elapsed,
        elapsed / len(pages),
        report.summary().splitlines()[0],
    )


def against_ocrmypdf() -> None:
    """The seeds' first pages as scanned PDFs (300 dpi): ingest's per-page pytesseract vs ocrmypdf's text layer."""
    import ocrmypdf  # not a dependency: installed only for this comparison
    from pypdf import PdfReader

    from assistant.config import PROJECT_ROOT
    from bench.scans import page_text, render_page
    from ingest.extract import extract

    logging.getLogger("ocrmypdf").setLevel(logging.WARNING)
    results: dict[str, list[tuple[float, float]]] = {"ingest (pytesseract)": [], "ocrmypdf": []}
    with tempfile.TemporaryDirectory(prefix="quellen-ocrmypdf-") as tmp:
        for seed in sorted((PROJECT_ROOT / "corpus").glob("*.txt")):
            truth = page_text(seed.read_text(encoding="utf-8"))
            scan = Path(tmp) / seed.with_suffix(".pdf").name
            render_page(truth, dpi=300).convert("RGB").save(scan, resolution=300)
            started = time.perf_counter()
            read = extract(scan).text
            results["ingest (pytesseract)"].append((character_error_rate(read, truth), time.perf_counter() - started))
            out = Path(tmp) / f"ocr-{scan.name}"
            started = time.perf_counter()
            ocrmypdf.ocr(scan, out, language=["deu", "eng"], output_type="pdf", progress_bar=False)
            text = "\n".join(page.extract_text() or "" for page in PdfReader(out).pages)
            results["ocrmypdf"].append((character_error_rate(text, truth), time.perf_counter() - started))
    log.info("| reader | pages | CER | seconds per page |")
    log.info("| --- | --- | --- | --- |")
    for name, values in results.items():
        cer = statistics.mean(v for v, _ in values)
        log.info("| %s | %d | %.3f | %.2f |", name, len(values), cer, statistics.mean(s for _, s in values))


def pages_of(text: str, characters: int = 1500) -> list[str]:
    """``text`` cut into pages of about ``characters``, at paragraph or sentence ends."""
    from bench.scans import page_text

    pages = []
    while text.strip():
        page = page_text(text, characters)
        pages.append(page)
        text = text[text.index(page) + len(page) :] if page else ""
    return pages


def relocated(gold: object, text: str) -> object:
    """A gold span of the original text, found again in the OCR'd text (best fuzzy alignment)."""
    from dataclasses import replace

    from rapidfuzz import fuzz

    quote = gold.quote  # type: ignore[attr-defined]
    if not quote:
        return gold
    match = fuzz.partial_ratio_alignment(quote, text)
    return replace(gold, quote=text[match.dest_start : match.dest_end], start=match.dest_start)  # type: ignore[type-var]


def retrieval_on_scans() -> None:
    from dataclasses import replace

    from assistant.config import PROJECT_ROOT, Settings
    from bench.scans import render_page
    from eval.questions import DEFAULT_SET
    from eval.runner import evaluate
    from eval.suites import corpus_cases
    from ingest.extract import extract

    seeds = PROJECT_ROOT / "corpus"
    with tempfile.TemporaryDirectory(prefix="quellen-ocr-") as tmp:
        scans, read = Path(tmp) / "scans", Path(tmp) / "read"
        scans.mkdir()
        read.mkdir()
        started, pages = time.perf_counter(), 0
        for seed in sorted(seeds.glob("*.txt")):
            images = [render_page(page, dpi=300).convert("RGB") for page in pages_of(seed.read_text(encoding="utf-8"))]
            pdf = scans / seed.with_suffix(".pdf").name
            images[0].save(pdf, save_all=True, append_images=images[1:], resolution=300)
            # the text ingest stores for the scan, indexed under the seed's own name
            (read / seed.name).write_text(extract(pdf).text, encoding="utf-8")
            pages += len(images)
        log.info("%d pages scanned and read in %.0f s", pages, time.perf_counter() - started)
        cases = corpus_cases(DEFAULT_SET, seeds)
        texts = {p.name: p.read_text(encoding="utf-8") for p in read.glob("*.txt")}
        ocr_cases = [
            replace(
                case,
                targets={
                    g: tuple(relocated(gold, texts[gold.source]) for gold in golds) for g, golds in case.targets.items()
                },
            )
            for case in cases
        ]
        results = {}
        for name, corpus, run_cases in (("text", seeds, cases), ("OCR", read, ocr_cases)):
            settings = Settings(corpus_dir=corpus, state_dir=Path(tmp) / f"state-{name}", llm_backend="extractive")
            result = evaluate("corpus", run_cases, settings, corpus, systems=["quellen"], answers=False)
            results[name] = result.summary["retrieval"]["quellen"]
    log.info("| group | n | hit@5 text | hit@5 OCR | MRR text | MRR OCR |")
    log.info("| --- | --- | --- | --- | --- | --- |")
    for group, values in results["text"].items():
        ocr = results["OCR"][group]
        log.info(
            "| %s | %d | %.3f | %.3f | %.3f | %.3f |",
            group,
            values["n"],
            values["hit@5"],
            ocr["hit@5"],
            values["mrr"],
            ocr["mrr"],
        )


if __name__ == "__main__":
    main()
