"""Answer latency on this machine: first text (the quote), first LLM token, total, prompt size.

Runs a few fixed questions (German and English) through the real pipeline, once per
answer backend given, against a fresh index of the default corpus in a temporary
folder.  ``BACKEND:OPTION[+OPTION]`` (the options of ``quellen eval --backends``)
measures another question pipeline in the same run (``local:passages`` is the pipeline
before evidence selection, ``local:no-gate`` the one without the answerability gate),
so a change and its baseline are compared on one machine state.  Each backend first runs
the start's warm-up (:meth:`Assistant.warm_up`: model load, the fixed prompt parts) and
answers one question, as a running chat has; the first question of a session is timed
with and without that warm-up.  Ratios are printed against the first backend given.

    .venv/bin/python bench/answer_latency.py --backends extractive:passages extractive local:passages local
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
from assistant.pipeline import Assistant, build_assistant
from assistant.types import Answer, Quote, Token
from eval.runner import parse_answer_variant

QUESTIONS = [
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
    "Wer sitzt im Managing Committee von METREX?",
    "How many members does the European Innovation Policy group on LinkedIn have?",
    "Was macht das Europabüro der Region Stuttgart in Brüssel?",
]

log = logging.getLogger("bench.answer_latency")


WARM_UP = "Was ist die Europäische Metropolregion Stuttgart?"

#: the calibration's fixed text: a cached prefix, then the new tokens timed (an evidence prompt's sizes)
PREFIX_TOKENS, NEW_TOKENS = 560, 200


def prompt_rate(settings: Settings) -> float:
    """llama.cpp's prompt evaluation on this machine now, in tokens per second.

    The answer's first token waits for the evaluation of the question and its evidence
    (~200 new tokens after the cached fixed part), so this rate, not the pipeline, sets
    most of it; printing it with every run shows the machine state the figures were
    measured in (the same 2 cores have run it at 90 to 130 tokens/s).  The model is
    loaded as the product loads it (:class:`LlamaCppChat`), then driven token by token.
    """
    from assistant.llm import LlamaCppChat, local_model_path

    chat = LlamaCppChat(model_path=str(local_model_path(settings)), n_threads=settings.llm_threads, n_ctx=2048)
    model = chat._llama
    prefix = model.tokenize(("Dies ist der feste Teil der Anweisungen. " * 80).encode())[:PREFIX_TOKENS]
    new = model.tokenize(("Der zweite Kongress findet in Heilbronn statt, sagte der Verband. " * 30).encode())
    new = new[:NEW_TOKENS]
    best = float("inf")
    for _ in range(2):
        model.reset()
        model.eval(prefix)
        started = time.perf_counter()
        model.eval(new)
        best = min(best, time.perf_counter() - started)
    return NEW_TOKENS / best


def started_assistant(name: str, state_dir: Path) -> Assistant:
    """The assistant ``name`` names, over the ingested default corpus, nothing loaded or evaluated yet."""
    overrides, dropped = parse_answer_variant(name)
    assistant = build_assistant(Settings(state_dir=state_dir, **overrides))
    assistant.library.ensure_ingested()
    return assistant.without_stages(*dropped)


def timed(assistant: Assistant, question: str) -> dict[str, float]:
    """First text, first token, total and prompt size of one streamed answer."""
    t0 = time.perf_counter()
    first_text = first_token = None
    pieces = 0
    answer: Answer | None = None
    for event in assistant.ask_stream(question):
        now = time.perf_counter() - t0
        if isinstance(event, Quote | Token):
            first_text = first_text or now
        if isinstance(event, Token):
            pieces += 1
            first_token = first_token or now
        elif isinstance(event, Answer):
            answer = event
    total = time.perf_counter() - t0
    assert answer is not None
    generation = total - (first_token or total)
    log.info("first token %.2fs, total %.1fs: %s", first_token or total, total, answer.answer[:100].replace("\n", " "))
    return {
        "retrieval": answer.timings.get("retrieval", 0.0),
        "first_text": first_text or total,
        "first_token": first_token or total,
        "total": total,
        "tokens_per_s": pieces / generation if generation > 0 and pieces > 1 else 0.0,
        "prompt_tokens": float(answer.usage.get("prompt_tokens", 0)),
    }


def measure(name: str, state_dir: Path) -> dict[str, float]:
    """p50 figures of the timed questions, and the first question of a session with and without the warm-up.

    The first question right after start pays for the model's loading and the fixed
    prompt parts unless the start's warm-up (:meth:`Assistant.warm_up`, which the chat
    and the HTTP server run) did that before; both are timed on assistants of their own.
    """
    cold = timed(started_assistant(name, state_dir), WARM_UP)["first_token"]
    assistant = started_assistant(name, state_dir)
    started = time.perf_counter()
    assistant.warm_up().join()
    warm_up_seconds = time.perf_counter() - started
    warmed = timed(assistant, WARM_UP)["first_token"]  # also: a running chat has answered before
    rows = [timed(assistant, question) for question in QUESTIONS]
    summary = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    summary.update(load=warm_up_seconds, first_cold=cold, first_warmed=warmed)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["local:passages", "local", "extractive"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    rate = prompt_rate(settings) if any(not b.startswith("extractive") for b in args.backends) else None
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            results[backend] = measure(backend, Path(tmp))
    base = next(iter(results.values()))
    lines = [
        "| backend | start's warm-up s | first question's first token s: cold / warmed | retrieval s "
        "| first text s | first token s | total s | total x first | prompt tokens | tokens/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend, r in results.items():
        lines.append(
            f"| {backend} | {r['load']:.1f} | {r['first_cold']:.2f} / {r['first_warmed']:.2f} "
            f"| {r['retrieval']:.3f} | {r['first_text']:.2f} | {r['first_token']:.2f} "
            f"| {r['total']:.2f} | {r['total'] / base['total']:.2f} | {r['prompt_tokens']:.0f} "
            f"| {r['tokens_per_s']:.1f} |"
        )
    lines.append(
        "(p50 over the questions, asked after the start's warm-up and one first question; "
        "first text is the quote, or the first token without one)"
    )
    if rate is not None:
        lines.append(
            f"machine: llama.cpp evaluates {rate:.0f} prompt tokens/s "
            f"({NEW_TOKENS} new after {PREFIX_TOKENS} cached, {settings.llm_threads} threads)"
        )
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps({"backends": results, "prompt_tokens_per_s": rate}, indent=2))


if __name__ == "__main__":
    main()
