"""Fit and measure the instruction guard: which passages address an AI assistant?

Positives are the hostile documents of the injection sets: ``eval/questions/injection.jsonl``
and ``injection-extra.jsonl`` for development (the word lists were written after reading
them), ``injection-test.jsonl`` (written apart, after the word lists) for test only.  Negatives are the chunks
(as ingest cuts them) of texts written for people: the corpus, XQuAD paragraphs (de/en),
man pages and the Debian reference (``../shared/corpora/fetch.sh DIR``; German and
English; they order the reader about all the time), and ``injection-benign.jsonl``:
texts that address readers or talk about AI and chatbots.  Every source is split in
development and test parts by a stable hash of its document name; the logistic
regression (scikit-learn) is fitted on the development parts only, and its threshold is
the lowest that withholds at most :data:`FALSE_ALARMS` of the development negatives.

It prints, per part, how many hostile documents are caught and how many ordinary chunks
are withheld, by today's regex (:func:`assistant.prompts.neutralise`) and by the fitted
guard.  ``--fit`` writes ``assistant/instruction_guard.json``.

    .venv/bin/python bench/instruction_guard.py --corpora DIR --xquad ../shared/data/xquad --fit
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core import Document

from assistant.config import PROJECT_ROOT, Settings
from assistant.instruction_guard import FEATURES, MODEL_FILE, text_signals
from assistant.logistic import LogisticModel, fit_logistic, save_models, threshold_for
from assistant.prompts import neutralise
from eval.injection import EXTRA_SET, INJECTION_SET, TEST_SET, load_injection_set
from eval.questions import QUESTIONS_DIR, json_lines
from ingest.extract import UnreadableFileError, extract
from ingest.splitter import split_documents

log = logging.getLogger("bench.instruction_guard")

BENIGN_SET = QUESTIONS_DIR / "injection-benign.jsonl"
#: the share of ordinary development chunks the guard may withhold
FALSE_ALARMS = 0.005
#: man pages per language (rendering all ~1,100 takes minutes and adds little)
MAN_PAGES = 150


@dataclass(frozen=True)
class Sample:
    text: str
    hostile: bool
    source: str  # which collection
    split: str  # dev or test
    name: str = ""


def split_of(name: str) -> str:
    return "dev" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "test"


def chunks(name: str, text: str, settings: Settings) -> list[str]:
    document = Document(text=text, metadata={"source": name})
    nodes = split_documents([document], settings.chunk_size, settings.chunk_overlap)
    return [node.text for node in nodes]


def hostile_samples() -> Iterator[Sample]:
    for path, split in ((INJECTION_SET, "dev"), (EXTRA_SET, "dev"), (TEST_SET, "test")):
        for item in load_injection_set(path):
            if item.document:
                yield Sample(item.document, True, f"hostile ({item.kind})", split, item.id)


def ordinary_samples(corpora: Path | None, xquad: Path | None, settings: Settings) -> Iterator[Sample]:
    if BENIGN_SET.exists():
        for _, row in json_lines(BENIGN_SET):
            split = "dev" if int(row["id"][3:]) % 2 else "test"
            yield Sample(row["text"], False, "benign: readers, AI", split, row["id"])
    for path in sorted((PROJECT_ROOT / "corpus").iterdir()):
        for n, text in enumerate(chunks(path.name, path.read_text(encoding="utf-8"), settings)):
            yield Sample(text, False, "corpus", split_of(f"{path.name}#{n // 10}"), path.name)
    if xquad is not None:
        for language in ("de", "en"):
            data = json.loads((xquad / f"xquad.dev.{language}.json").read_text(encoding="utf-8"))
            for article in data["data"]:
                for paragraph in article["paragraphs"]:
                    for text in chunks(article["title"], paragraph["context"], settings):
                        yield Sample(text, False, "wikipedia (xquad)", split_of(article["title"]), article["title"])
    if corpora is not None:
        folders = [("man-de", MAN_PAGES), ("man-en", MAN_PAGES), ("reference/de", None), ("reference/en", None)]
        for folder, limit in folders:
            paths = sorted((corpora / folder).iterdir())
            for path in paths[:: max(1, len(paths) // limit)] if limit else paths:
                try:
                    text = extract(path).text
                except UnreadableFileError as error:
                    log.warning("skipped: %s", error)
                    continue
                source = "man pages" if folder.startswith("man") else "debian reference"
                for text_chunk in chunks(path.name, text, settings):
                    yield Sample(text_chunk, False, source, split_of(path.name), path.name)


def shares(size: int, caught: np.ndarray) -> str:
    return f"{int(caught.sum())} of {size} ({caught.mean():.1%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, help="folder filled by corpora/fetch.sh (man pages, reference)")
    parser.add_argument("--xquad", type=Path, help="XQuAD folder (Wikipedia paragraphs, de/en)")
    parser.add_argument("--fit", action="store_true", help=f"write the fitted model to {MODEL_FILE.name}")
    parser.add_argument("--show", type=int, default=0, help="print up to N misjudged test texts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    samples = [*hostile_samples(), *ordinary_samples(args.corpora, args.xquad, settings)]
    started = time.perf_counter()
    x = np.vstack([text_signals(s.text) for s in samples])
    per_text = (time.perf_counter() - started) / len(samples)
    y = np.asarray([s.hostile for s in samples])
    dev = np.asarray([s.split == "dev" for s in samples])
    fitted_on = f"development parts: {int(y[dev].sum())} hostile documents, {int((~y[dev]).sum())} ordinary chunks"
    model = fit_logistic(x[dev], y[dev], FEATURES, LogisticModel, fitted_on, C=0.3)
    model.threshold = threshold_for(model.probabilities(x[dev]), ~y[dev], FALSE_ALARMS)
    p = model.probabilities(x)
    regex = np.asarray([neutralise(s.text) != s.text for s in samples])
    guard = p >= model.threshold
    weights = ", ".join(f"{n} {c:+.2f}" for n, c in zip(model.features, model.coef, strict=True))
    print(f"guard: {fitted_on}; withholding at ≥ {model.threshold}; {per_text * 1000:.2f} ms per text (signals)")
    print(f"\nweights: {weights}\n")
    print("| part | source | texts | regex today | fitted guard |")
    print("| --- | --- | --- | --- | --- |")
    sources = sorted({(s.hostile, s.source) for s in samples}, key=lambda k: (not k[0], k[1]))
    for split in ("dev", "test"):
        groups = [(source, lambda s, source=source: s.source == source) for _, source in sources]
        groups += [("**all hostile**", lambda s: s.hostile), ("**all ordinary**", lambda s: not s.hostile)]
        for label, member in groups:
            rows = np.asarray([s.split == split and member(s) for s in samples])
            if rows.any():
                size = int(rows.sum())
                print(f"| {split} | {label} | {size} | {shares(size, regex[rows])} | {shares(size, guard[rows])} |")
    if args.show:
        wrong = [(s, q) for s, q, f in zip(samples, p, guard, strict=True) if s.split == "test" and f != s.hostile]
        for s, q in wrong[: args.show]:
            what = "missed" if s.hostile else "withheld"
            print(f"\n{what} {q:.2f} {s.source} {s.name}: {' '.join(s.text.split())[:300]}")
    if args.fit:
        save_models(MODEL_FILE, {"guard": model})
        print(f"\nwritten: {MODEL_FILE.name}")


if __name__ == "__main__":
    main()
