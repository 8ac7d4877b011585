"""Scanned pages and images, read by Tesseract: made from the seed texts by the test (issue 16)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import build_assistant
from bench.scans import page_text, render_page
from ingest.extract import extract
from tests.processes import quellen_command, quellen_env

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
GERMAN = page_text((CORPUS / "europaeische-metropolregion-stuttgart.txt").read_text(encoding="utf-8"), 900)
ENGLISH = page_text((CORPUS / "european-networks-stuttgart-region.txt").read_text(encoding="utf-8"), 900)


@pytest.fixture(scope="module", autouse=True)
def tesseract() -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("tesseract is missing; scripts/setup.sh installs tesseract-ocr")
        pytest.skip("tesseract is not installed")


def _words(text: str) -> set[str]:
    return {w.strip(".,;:()„“\"'").lower() for w in text.split() if len(w) > 4}


def test_an_image_and_a_scanned_pdf_are_read_with_their_pages(tmp_path: Path) -> None:
    image = tmp_path / "brief.png"
    render_page(GERMAN, dpi=300).save(image)
    read = extract(image)
    assert read.ocr_pages == [1]
    shared = _words(GERMAN) & _words(read.text)
    assert len(shared) >= 0.9 * len(_words(GERMAN)), sorted(_words(GERMAN) - _words(read.text))

    scan = tmp_path / "protokoll.pdf"
    first, second = render_page(ENGLISH, dpi=150), render_page(GERMAN, dpi=150, skew=1.0)
    first.convert("RGB").save(scan, save_all=True, append_images=[second.convert("RGB")], resolution=150)
    pdf = extract(scan)
    assert pdf.ocr_pages == [1, 2] and len(pdf.pages) == 2
    assert pdf.page_at(pdf.text.index("Einwohnerzahl")) == 2
    assert pdf.page_at(pdf.text.index("European networks")) == 1


def test_ocr_text_is_answered_cited_and_listed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    render_page(GERMAN, dpi=300, noise=0.002).save(corpus / "scan-metropolregion.png")
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    assistant.library.ensure_ingested()
    (record,) = assistant.library.documents()
    assert record.source == "scan-metropolregion.png" and record.ocr_pages == "1"
    question = "Welche Region ist die Kernregion der Metropolregion Stuttgart?"
    assert "Kernregion" in assistant.retrieve(question, 1)[0].text
    answer = assistant.variant(answerability="off").ask(question)
    cited = answer.citations[0]
    assert cited.passage.source == "scan-metropolregion.png" and cited.quote in answer.answer
    text = assistant.library.source_text(cited.passage.source)
    assert text is not None and text[cited.quote_start : cited.quote_end] == cited.quote


def test_without_tesseract_a_scan_is_skipped_by_name_and_the_rest_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    render_page(ENGLISH, dpi=150).save(corpus / "scan.png")
    shutil.copy(CORPUS / "european-networks-stuttgart-region.txt", corpus / "text.txt")
    settings = Settings(corpus_dir=corpus, state_dir=tmp_path / "state")
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**quellen_env(settings), "PATH": str(bare)}  # no tesseract on this PATH
    run = subprocess.run(quellen_command("ingest"), capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "1 added" in run.stdout and "1 skipped" in run.stdout
    assert "scan.png" in run.stdout and "tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng" in run.stdout


def test_printed_lines_are_joined_into_paragraphs() -> None:
    from ingest.ocr import unwrap

    printed = "Die Metropol-\nregion und Baden-\nWürttemberg\nzählen dazu.\n\nEin neuer Absatz."
    assert unwrap(printed) == "Die Metropolregion und Baden-Württemberg zählen dazu.\n\nEin neuer Absatz."
