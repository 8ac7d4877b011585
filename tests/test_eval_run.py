"""The evaluation end to end on a small subset, and the question set against the corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from eval.questions import DEFAULT_SET, QuestionSetError, load_questions
from eval.report import compare, write_report
from eval.runner import evaluate
from eval.suites import corpus_cases, squad2_cases, squad2_documents, xquad_cases, xquad_documents

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
XQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "xquad"


def test_question_set_matches_the_corpus() -> None:
    items = load_questions(DEFAULT_SET, CORPUS)
    types = [item.type for item in items]
    assert len(items) >= 60
    for kind, minimum in {"de-en": 10, "en-de": 10, "unanswerable": 8, "dialogue": 8, "multi-doc": 6}.items():
        assert types.count(kind) >= minimum, kind
    assert all(len(item.turns) == 2 for item in items if item.type == "dialogue")
    unanswerable = [item for item in items if item.type == "unanswerable"]
    assert len(unanswerable) >= 40 and sum(item.language == "de" for item in unanswerable) >= 20
    assert sum(item.split == "dev" for item in unanswerable) >= 15 <= sum(item.split == "test" for item in unanswerable)


def test_a_quote_that_is_not_in_the_corpus_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {
                "id": "x1",
                "type": "de-de",
                "language": "de",
                "turns": [
                    {
                        "question": "?",
                        "answerable": True,
                        "gold": [{"source": "europaeische-metropolregion-stuttgart.txt", "quote": "steht nicht da"}],
                        "key_facts": [],
                    }
                ],
            }
        )
    )
    with pytest.raises(QuestionSetError, match="quote not found"):
        load_questions(bad, CORPUS)


def test_eval_subset_end_to_end(tmp_path: Path, corpus_copy: Path) -> None:
    settings = Settings(corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive")
    cases = corpus_cases(DEFAULT_SET, corpus_copy)[:5]
    result = evaluate("corpus", cases, settings, corpus_copy)
    retrieval = result.summary["retrieval"]
    assert set(retrieval) == {"bm25", "llamaindex-quickstart", "quellen"}
    assert retrieval["quellen"]["all"]["n"] == 5
    assert 0.0 <= retrieval["quellen"]["all"]["mrr"] <= retrieval["quellen"]["all"]["hit@10"] <= 1.0
    assert result.summary["answers"]["extractive (quotes)"]["all"]["n"] == 5
    folder = write_report(result, tmp_path / "reports")
    assert {p.name for p in folder.iterdir()} >= {
        "report.md",
        "results.json",
        "details.jsonl",
        "retrieval_hit_at_5.png",
    }
    assert "| group | bm25 | llamaindex-quickstart | quellen |" in (folder / "report.md").read_text()
    details = (folder / "details.jsonl").read_text().splitlines()
    assert len(details) == 5 * 3 + 5
    diff = compare(folder, folder)
    assert "| quellen all mrr |" in diff and "+0.000" in diff


def test_xquad_suite_reads_the_squad_layout(tmp_path: Path) -> None:
    if not XQUAD.is_dir():
        pytest.skip("shared/data/xquad not beside the checkout")
    assert xquad_documents(XQUAD, tmp_path) == 240
    cases = xquad_cases(XQUAD)
    assert len(cases) == 2 * 612
    german = next(c for c in cases if c.language == "de")
    assert set(german.targets) == {"DE→DE", "DE→EN", "DE→any"}
    assert (tmp_path / german.targets["DE→EN"][0].source).is_file()


def test_answer_backends_are_reported_side_by_side(tmp_path: Path, corpus_copy: Path) -> None:
    from tests.openai_stub import OpenAIStub

    with OpenAIStub("Der zweite Metropolkongress findet in Heilbronn statt [1].") as stub:
        settings = Settings(
            corpus_dir=corpus_copy,
            state_dir=tmp_path / "state",
            llm_backend="extractive",
            openai_base_url=stub.base_url,
            openai_model="stub-model",
        )
        cases = corpus_cases(DEFAULT_SET, corpus_copy)[:3]
        result = evaluate("corpus", cases, settings, corpus_copy, ["quellen"], backends=["extractive", "openai"])
    answers = result.summary["answers"]
    assert list(answers) == ["extractive (quotes)", f"stub-model at {stub.base_url}"]
    assert all(block["all"]["n"] == 3 for block in answers.values())
    report = write_report(result, tmp_path / "reports")
    assert f"| group | extractive (quotes) | stub-model at {stub.base_url} |" in (report / "report.md").read_text()


def test_the_question_set_is_split_into_development_and_test_halves() -> None:
    items = load_questions(DEFAULT_SET, CORPUS)
    dev = [i for i in items if i.split == "dev"]
    test = [i for i in items if i.split == "test"]
    assert len(dev) + len(test) == len(items) and abs(len(dev) - len(test)) <= len(items) // 10
    for kind in {i.type for i in items}:  # every kind of question is in both halves
        assert any(i.type == kind for i in dev) and any(i.type == kind for i in test), kind
    assert {c.id for c in corpus_cases(DEFAULT_SET, CORPUS, "dev")}.isdisjoint(
        {c.id for c in corpus_cases(DEFAULT_SET, CORPUS, "test")}
    )


def test_a_pipeline_and_its_baseline_answer_side_by_side(tmp_path: Path, corpus_copy: Path) -> None:
    settings = Settings(corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive")
    cases = corpus_cases(DEFAULT_SET, corpus_copy)[:4]
    result = evaluate(
        "corpus", cases, settings, corpus_copy, systems=["quellen"], backends=["extractive:passages", "extractive"]
    )
    answers = result.summary["answers"]
    assert set(answers) == {"extractive (quotes) [passages]", "extractive (quotes)"}
    assert {"all (dev)", "all (test)", "all"} <= set(answers["extractive (quotes)"])
    rows = [r for r in result.answer_rows if r["backend"] == "extractive (quotes)"]
    assert all(r["first_text_s"] <= r["total_s"] for r in rows)


def test_a_gate_fitted_elsewhere_answers_beside_the_packaged_one(tmp_path: Path, corpus_copy: Path) -> None:
    """``extractive:gate=FILE`` answers with the gate models of FILE: here one that refuses everything."""
    from assistant.answerability import load_models
    from assistant.logistic import save_models

    gate = tmp_path / "refuse-all.json"
    refusing = load_models()["search"]
    refusing.coef, refusing.intercept = [0.0] * len(refusing.features), 10.0
    save_models(gate, {"search": refusing, "judge": refusing})
    settings = Settings(
        corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive", answerability="search"
    )
    cases = [c for c in corpus_cases(DEFAULT_SET, corpus_copy) if c.answerable][:3]
    result = evaluate(
        "corpus", cases, settings, corpus_copy, ["quellen"], backends=["extractive", f"extractive:gate={gate}"]
    )
    refused = {}
    for row in result.answer_rows:
        refused.setdefault(row["backend"], []).append(row["refused"])
    assert refused == {
        "extractive (quotes) [search gate]": [False] * 3,
        "extractive (quotes) [search gate, gate refuse-all]": [True] * 3,
    }
    with pytest.raises(ValueError, match="answerability_file: no such file"):
        Settings(answerability_file=tmp_path / "none.json")
    with pytest.raises(ValueError, match="answerability_file: no such file"):
        evaluate(
            "corpus", cases, settings, corpus_copy, ["quellen"], backends=[f"extractive:gate={tmp_path / 'none.json'}"]
        )


def test_evidence_weights_from_a_file_answer_beside_the_packaged_ones(tmp_path: Path, corpus_copy: Path) -> None:
    """``extractive:weights=FILE`` orders the evidence by FILE's weights: here the least similar sentence first."""
    weights = tmp_path / "dissimilar.json"
    weights.write_text(json.dumps({"cosine": -1.0}), encoding="utf-8")
    settings = Settings(
        corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive", answerability="off"
    )
    cases = [c for c in corpus_cases(DEFAULT_SET, corpus_copy) if c.answerable][:3]
    result = evaluate(
        "corpus", cases, settings, corpus_copy, ["quellen"], backends=["extractive", f"extractive:weights={weights}"]
    )
    answers: dict[str, list[str]] = {}
    for row in result.answer_rows:
        answers.setdefault(row["backend"], []).append(row["answer"])
    assert set(answers) == {
        "extractive (quotes) [no gate]",
        "extractive (quotes) [no gate, evidence weights dissimilar]",
    }
    assert (
        answers["extractive (quotes) [no gate]"]
        != answers["extractive (quotes) [no gate, evidence weights dissimilar]"]
    )
    with pytest.raises(ValueError, match="evidence_weights_file: no such file"):
        Settings(evidence_weights_file=tmp_path / "none.json")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"cosine": 1.0, "marks": 0.2}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"not evidence weights .* numbers: cosine, lexical"):
        evaluate("corpus", cases, settings, corpus_copy, ["quellen"], backends=[f"extractive:weights={unknown}"])


def _squad2_file(folder: Path) -> Path:
    """A SQuAD 2.0 file in the official layout: two paragraphs, answerable and unanswerable questions."""
    folder.mkdir()
    paragraphs = [
        ("Heilbronn hosted the second Metropolkongress in 2022.", "Where was the second congress?", "Heilbronn"),
        ("The S-Bahn is run by the Verband Region Stuttgart.", "Who runs the S-Bahn?", "the Verband Region Stuttgart"),
    ]
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "T",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {"id": f"a{n}", "question": q, "is_impossible": False, "answers": [{"text": a}]},
                            {"id": f"u{n}", "question": f"{q[:-1]} in 1990?", "is_impossible": True, "answers": []},
                        ],
                    }
                    for n, (context, q, a) in enumerate(paragraphs)
                ],
            }
        ],
    }
    (folder / "squad2.en.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_squad2_suite_asks_answerable_and_unanswerable_questions(tmp_path: Path) -> None:
    data = _squad2_file(tmp_path / "squad2")
    assert squad2_documents(data, tmp_path / "docs") == 2
    cases = squad2_cases(data)
    assert sorted(c.id for c in cases) == ["a0", "a1", "u0", "u1"]
    answerable = next(c for c in cases if c.id == "a1")
    assert answerable.key_facts == (("the Verband Region Stuttgart",),)
    assert (tmp_path / "docs" / answerable.targets["en-en"][0].source).read_text().startswith("The S-Bahn")
    assert next(c for c in cases if c.id == "u0").targets == {"unanswerable": ()}
    assert [c.id for c in squad2_cases(data)] == [c.id for c in cases], "the same order every run"


def test_squad2_suite_runs_from_the_command_line(tmp_path: Path) -> None:
    data = _squad2_file(tmp_path / "squad2")
    out = tmp_path / "reports"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "eval",
            "--suite",
            "squad2",
            "--data",
            str(data),
            "--backend",
            "extractive",
            "--systems",
            "quellen",
            "--state-dir",
            str(tmp_path / "state"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = next(out.iterdir()) / "report.md"
    text = report.read_text()
    assert "unanswerable" in text and "en-en" in text
