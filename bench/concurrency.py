"""Many chat sessions at once against the running Gradio app: correct answers, own history, no errors.

Each session is its own ``gradio_client.Client`` (its own Gradio session, so its own
conversation state) and runs two-turn dialogues whose second turn only makes sense with
the first.  The baseline is one session running the same dialogues alone, in the same
run; throughput and latency are printed as ratios against it.  Optionally a document is
ingested while the sessions chat.

    .venv/bin/python bench/concurrency.py --sessions 20            # extractive answers
    .venv/bin/python bench/concurrency.py --sessions 4 --backend local

Each is run twice on the same index: with conversations not kept, then kept (the
default): every answered turn must be one stored exchange, none lost, none twice.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("bench.concurrency")

#: (first question, a word its answer must contain, follow-up, a word the follow-up's answer must contain)
DIALOGUES = [
    ("Wann fand der erste Metropolkongress statt?", "2019", "Und wo findet der zweite statt?", "Heilbronn"),
    ("Was ist EMTA?", "EMTA", "Und was hat der Verband Region Stuttgart davon?", "Daten"),
    (
        "What is the IKM?",
        "Initiativkreis",
        "Which federal research institution does it exchange information with regularly?",
        "BBSR",
    ),
]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: answers missing their expected word (answer quality, not concurrency)
    wrong: list[str] = field(default_factory=list)
    #: (dialogue index, turn) -> answer texts seen
    answers: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def differing(self, baseline: Outcome) -> list[str]:
        """Answers that are not the ones the same dialogue got alone: another session's history leaked in."""
        return [
            f"dialogue {key[0]} turn {key[1]}: {len(seen - baseline.answers.get(key, set()))} different answer(s)"
            for key, seen in self.answers.items()
            if seen - baseline.answers.get(key, set())
        ]

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _answer_text(message: dict) -> str:
    content = message["content"]
    text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return text.split("**Quellen**")[0].split("**Sources**")[0]


def run_session(url: str, index: int, outcome: Outcome, lock: threading.Lock) -> None:
    from gradio_client import Client

    first, first_word, follow_up, follow_word = DIALOGUES[index]
    try:
        client = Client(url, verbose=False)
        chat: list = []
        for turn, (question, word) in enumerate(((first, first_word), (follow_up, follow_word))):
            started = time.perf_counter()
            chat, *_ = client.predict(question, chat, api_name="/chat")
            elapsed = time.perf_counter() - started
            answer = _answer_text(chat[-1])
            with lock:
                outcome.latencies.append(elapsed)
                outcome.answers.setdefault((index, turn), set()).add(answer)
                if word.lower() not in answer.lower():
                    outcome.wrong.append(f"{question!r}: {word!r} not in {answer[:120]!r}")
    except Exception as error:  # a session failing is the measurement, not a crash of the benchmark
        with lock:
            outcome.errors.append(f"{type(error).__name__}: {error}")


def run_sessions(url: str, sessions: int, during: threading.Thread | None = None) -> Outcome:
    """``sessions`` concurrent sessions, dialogues assigned round-robin; bounded: each runs one dialogue."""
    outcome, lock = Outcome(), threading.Lock()
    started = time.perf_counter()
    if during is not None:
        during.start()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for i in range(sessions):
            pool.submit(run_session, url, i % len(DIALOGUES), outcome, lock)
    if during is not None:
        during.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_alone(url: str) -> Outcome:
    """The baseline: one session running every dialogue, one after the other."""
    outcome, lock = Outcome(), threading.Lock()
    started = time.perf_counter()
    for index in range(len(DIALOGUES)):
        run_session(url, index, outcome, lock)
    outcome.seconds = time.perf_counter() - started
    return outcome


def ingest_later(assistant: object, folder: Path, delay: float = 1.0) -> threading.Thread:
    """A thread that uploads and ingests a new document while the sessions chat."""

    def work() -> None:
        time.sleep(delay)
        document = folder / "neu-waehrend-chat.txt"
        document.write_text(
            "Während des Chats wurde dieses Dokument hinzugefügt. Es beschreibt das Netzwerk Alpenraum "
            "mit zwölf Mitgliedsregionen und einem Sekretariat in Innsbruck.\n" * 20,
            encoding="utf-8",
        )
        report, refused = assistant.library.add_files([(document, document.name)])  # type: ignore[attr-defined]
        log.info("ingested while chatting: %s %s", report.summary(), refused)

    return threading.Thread(target=work)


def run_server(assistant: object, sessions: int, ingest_into: Path | None) -> tuple[Outcome, Outcome, int]:
    """Baseline alone, then ``sessions`` at once, against one server; and the exchanges it stored meanwhile."""
    from assistant.chat_store import open_chat_store
    from ui.serving import serving

    chats = open_chat_store(assistant.settings)  # type: ignore[attr-defined]
    before = chats.count_exchanges()
    with serving(assistant) as url:  # type: ignore[arg-type]
        baseline = run_alone(url)
        during = None if ingest_into is None else ingest_later(assistant, ingest_into)
        loaded = run_sessions(url, sessions, during)
    return baseline, loaded, chats.count_exchanges() - before


def main() -> None:
    from assistant.config import PROJECT_ROOT, Settings
    from assistant.pipeline import build_assistant

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive")
    parser.add_argument("--no-ingest", action="store_true", help="do not ingest a document while chatting")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = {}
    with tempfile.TemporaryDirectory(prefix="quellen-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(PROJECT_ROOT / "corpus", corpus)
        assistant = build_assistant(
            Settings(corpus_dir=corpus, state_dir=Path(tmp) / "state", llm_backend=args.backend)
        )
        assistant.library.ensure_ingested()
        # the same index and run, conversations not kept, then kept (the default)
        for keep in (False, True):
            ingest_into = None if args.no_ingest else Path(tmp) / ("ingest-kept" if keep else "ingest-forgotten")
            if ingest_into is not None:
                ingest_into.mkdir()
            variant = assistant.variant(keep_conversations=keep)
            results[keep] = run_server(variant, args.sessions, ingest_into)
    failed = False
    for keep, (baseline, loaded, stored) in results.items():
        label = "conversations kept" if keep else "not kept"
        for name, o in (("1 session", baseline), (f"{args.sessions} sessions", loaded)):
            log.info(
                "%-19s %-12s turns %3d  errors %d  wrong %d  throughput %.2f turns/s  p50 %.2f s  p95 %.2f s",
                label,
                name,
                o.turns,
                len(o.errors),
                len(o.wrong),
                o.turns / o.seconds,
                o.p(0.5),
                o.p(0.95),
            )
        answered = baseline.turns + loaded.turns
        log.info("%-19s exchanges stored %d of %d answered", label, stored, answered if keep else 0)
        differing = loaded.differing(baseline)
        for line in loaded.errors + differing:
            log.info("  %s", line)
        failed |= bool(loaded.errors or differing) or stored != (answered if keep else 0)
    (_, off, _), (_, on, _) = results[False], results[True]
    log.info(
        "%d sessions, kept vs not kept: throughput %.2fx, p95 latency %.2fx",
        args.sessions,
        (on.turns / on.seconds) / (off.turns / off.seconds),
        on.p(0.95) / off.p(0.95),
    )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
