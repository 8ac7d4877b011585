"""Memory of one process that holds several assistants: a chat whose sessions switch backends.

Each llama.cpp instance holds its own copy of the weights as repacked for the CPU
(~0.7 GB), so what matters is how many contexts a process loads.  The steps below are
what a running chat does when its users pick other backends in the settings panel
(``Assistant.with_options``), and what an evaluation with several columns or the test
suite does when it builds a second assistant over the same index.  Each step asks one
question, so every context it needs is loaded.

Both columns run the same code in fresh child processes: ``own contexts`` empties the
cache of rewrite and check contexts before each step, as every assistant loaded its own
before they were shared (the baseline); ``shared`` is the product as it is.

    .venv/bin/python bench/process_memory.py
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

from assistant.config import Settings

QUESTION = "Wo findet der zweite Metropolkongress statt?"
STEPS = [
    "local assistant",
    "+ a session with extractive answers",
    "+ a session without the translated search",
    "+ a second local assistant (an evaluation column, a test)",
]


def anon_mb() -> float:
    """This process's anonymous resident memory (the weights' copies, KV caches, Python objects)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no RssAnon in /proc/self/status (Linux only)")


def measure(state_dir: Path, shared: bool) -> list[float]:
    """Anonymous memory after each step, in MB (runs in a child process of its own)."""
    from assistant import llm
    from assistant.pipeline import Assistant, build_assistant

    def step(assistant: Assistant) -> float:
        assistant.ask(QUESTION)
        return anon_mb()

    def fresh_contexts() -> None:
        if not shared:
            llm._aside_context.cache_clear()  # the objects stay alive in the assistants that hold them

    settings = Settings(state_dir=state_dir, llm_backend="local")
    base = build_assistant(settings)
    figures = [step(base)]
    fresh_contexts()
    figures.append(step(base.with_options(llm_backend="extractive")))
    fresh_contexts()
    figures.append(step(base.with_options(translate_query=False)))
    fresh_contexts()
    figures.append(step(build_assistant(settings)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["own", "shared"], help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.child:
        print(json.dumps(measure(args.state, shared=args.child == "shared")))
        return
    columns: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-memory-") as tmp:
        from assistant.pipeline import build_assistant

        # the index is built here, so neither column's figures hold the ingestion
        build_assistant(Settings(state_dir=Path(tmp), llm_backend="extractive")).library.ensure_ingested()
        for mode in ("own", "shared"):
            run = [sys.executable, __file__, "--child", mode, "--state", tmp]
            out = subprocess.run(run, check=True, capture_output=True, text=True).stdout
            columns[mode] = json.loads(out.strip().splitlines()[-1])
    own, shared = columns["own"], columns["shared"]
    lines = ["| after | own contexts (before) MB | shared MB | shared / own |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {a:.0f} | {b:.0f} | {b / a:.2f} |" for name, a, b in zip(STEPS, own, shared, strict=True)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
