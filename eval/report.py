"""Write and compare evaluation reports.

A run becomes ``eval/reports/<timestamp>-<suite>/`` with ``report.md`` (tables),
``results.json`` (config + summary), ``details.jsonl`` (one line per retrieval and
answer row) and PNG plots.  ``compare`` diffs the summaries of two saved runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.runner import EvalResult

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
RETRIEVAL_KEYS = ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10", "mean_chars", "p50_ms")
ANSWER_KEYS = (
    "key_facts",
    "answered_in_question_language",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "first_text_p50_s",
    "first_token_p50_s",
    "prompt_tokens_mean",
    "total_p50_s",
    "total_p95_s",
)


def side_by_side(per_column: dict[str, dict[str, dict[str, float]]], key: str) -> tuple[list[str], list[list[str]]]:
    """Rows: group; columns: one per system (or backend), ``key`` as the value."""
    columns = list(per_column)
    groups = sorted({g for c in columns for g in per_column[c]}, key=lambda g: (g.startswith("all"), g == "all", g))
    rows = [[g] + [f"{per_column[c].get(g, {}).get(key, float('nan')):.3f}" for c in columns] for g in groups]
    return ["group", *columns], rows


def retrieval_table(summary: dict[str, Any], key: str = "hit@5") -> tuple[list[str], list[list[str]]]:
    """Retrieval ``key`` per group, systems side by side."""
    return side_by_side(summary["retrieval"], key)


def answer_table(summary: dict[str, Any], key: str = "key_facts") -> tuple[list[str], list[list[str]]]:
    """Answer ``key`` per group, answer backends side by side."""
    return side_by_side(summary.get("answers", {}), key)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


#: the few figures a reader checks first, per group (the evaluation tab; the whole report is in the zip)
OVERVIEW_KEYS = {
    "retrieval": (("hit@5", "hit@5"), ("mrr", "MRR")),
    "answers": (
        ("key_facts", "key facts"),
        ("citation_precision", "citation precision"),
        ("citation_recall", "citation recall"),
        ("refusal_recall", "refusal recall"),
        ("total_p50_s", "total p50 s"),
    ),
}


def overview_markdown(summary: dict[str, Any]) -> str:
    """A small table per system and per answer backend: groups as rows, the key figures as columns."""
    parts = []
    for part, keys in OVERVIEW_KEYS.items():
        for column, per_group in (summary.get(part) or {}).items():
            groups = sorted(
                (g for g, v in per_group.items() if isinstance(v, dict)),
                key=lambda g: (g.startswith("all"), g == "all", g),
            )
            rows = [
                [g, str(per_group[g].get("n", "")), *(f"{per_group[g].get(k, float('nan')):.2f}" for k, _ in keys)]
                for g in groups
            ]
            title = "Retrieval" if part == "retrieval" else "Answers"
            parts += [f"### {title}: {column}", "", _markdown(["group", "n", *(label for _, label in keys)], rows), ""]
    return "\n".join(parts)


def render_markdown(result: EvalResult) -> str:
    parts = [f"# quellen evaluation: {result.suite}", "", "## Configuration", ""]
    parts += [f"- {key}: `{value}`" for key, value in result.config.items()]
    parts += [
        "",
        "Retrieval: a passage is relevant when it comes from the gold source and holds at least half of a gold "
        "quote (XQuAD: the gold paragraph). mean_chars is the mean length of the top passages: whole-document "
        "passages make hit@k easy and citations useless, so read hit@k together with it and with MRR.",
    ]
    for key in RETRIEVAL_KEYS:
        header, rows = retrieval_table(result.summary, key)
        parts += ["", f"## Retrieval {key}", "", _markdown(header, rows)]
    n_by_group = {g: v["n"] for g, v in next(iter(result.summary["retrieval"].values())).items()}
    parts += ["", "Questions per group: " + ", ".join(f"{g} {n}" for g, n in n_by_group.items())]
    answers = result.summary.get("answers")
    if answers:
        for key in ANSWER_KEYS:
            header, rows = answer_table(result.summary, key)
            parts += ["", f"## Answers {key}", "", _markdown(header, rows)]
        parts += [
            "",
            "key_facts: share of key facts found in the answer; citation precision: share of citations that "
            "hold a gold span; citation recall: share of gold spans cited; refusal precision/recall: refusals "
            "against unanswerable questions. Latencies in seconds on this machine.",
        ]
    return "\n".join(parts) + "\n"


def plot(result: EvalResult, folder: Path) -> list[Path]:
    """Bar charts of hit@5 and MRR per group and system; latency histogram of answers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    retrieval = result.summary["retrieval"]
    systems = list(retrieval)
    groups = sorted({g for s in systems for g in retrieval[s]}, key=lambda g: (g == "all", g))
    for key in ("hit@5", "mrr"):
        fig, ax = plt.subplots(figsize=(max(6, len(groups) * 1.1), 4))
        width = 0.8 / max(1, len(systems))
        for i, system in enumerate(systems):
            values = [retrieval[system].get(g, {}).get(key, 0.0) for g in groups]
            ax.bar([x + i * width for x in range(len(groups))], values, width, label=system)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(groups))], groups, rotation=30)
        ax.set_ylim(0, 1)
        ax.set_ylabel(key)
        ax.set_title(f"{result.suite}: retrieval {key} per group")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(systems))
        fig.tight_layout()
        path = folder / f"retrieval_{key.replace('@', '_at_')}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    if result.answer_rows:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for backend in dict.fromkeys(r["backend"] for r in result.answer_rows):
            mine = [r for r in result.answer_rows if r["backend"] == backend]
            ax.hist([r["total_s"] for r in mine], bins=20, alpha=0.6, label=f"total, {backend[:30]}")
            ax.hist([r["first_token_s"] for r in mine], bins=20, alpha=0.6, label=f"first token, {backend[:30]}")
        ax.set_xlabel("seconds")
        ax.set_ylabel("answers")
        ax.set_title("answer latency")
        ax.legend()
        fig.tight_layout()
        path = folder / "answer_latency.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def write_report(result: EvalResult, reports_dir: Path = REPORTS_DIR) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = reports_dir / f"{stamp}-{result.suite}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps(
            {"suite": result.suite, "config": result.config, "summary": result.summary}, indent=2, ensure_ascii=False
        )
    )
    with (folder / "details.jsonl").open("w", encoding="utf-8") as out:
        for row in result.retrieval_rows:
            out.write(json.dumps({"kind": "retrieval", **row}, ensure_ascii=False) + "\n")
        for row in result.answer_rows:
            out.write(json.dumps({"kind": "answer", **row}, ensure_ascii=False) + "\n")
    plots = plot(result, folder)
    markdown = render_markdown(result) + "\n" + "\n".join(f"![{p.stem}]({p.name})" for p in plots) + "\n"
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    return folder


def load_summary(path: Path) -> dict[str, Any]:
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no results.json (give a report folder or its results.json)")
    return json.loads(file.read_text(encoding="utf-8"))


def compare(a: Path, b: Path) -> str:
    """Markdown diff of two runs: every shared metric as A, B and B − A."""
    first, second = load_summary(a), load_summary(b)
    lines = [f"# {a.name} → {b.name}", "", "| metric | A | B | B − A |", "| --- | --- | --- | --- |"]
    for system, groups in second["summary"]["retrieval"].items():
        for group, values in groups.items():
            old = first["summary"]["retrieval"].get(system, {}).get(group)
            if not old:
                continue
            for key in RETRIEVAL_KEYS:
                lines.append(
                    f"| {system} {group} {key} | {old[key]:.3f} | {values[key]:.3f} | {values[key] - old[key]:+.3f} |"
                )
    for backend, groups in second["summary"].get("answers", {}).items():
        for group, values in groups.items():
            old = first["summary"].get("answers", {}).get(backend, {}).get(group)
            if not old or not isinstance(values, dict):
                continue
            for key in ANSWER_KEYS:
                lines.append(
                    f"| {backend} {group} {key} | {old[key]:.3f} | {values[key]:.3f} | {values[key] - old[key]:+.3f} |"
                )
    return "\n".join(lines) + "\n"
