"""Tables in Word, HTML and PDF documents: every row with its headers, findable and citable (issue 16)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.pipeline import build_assistant
from bench.table_docs import BUDGET, QUESTIONS, budget_docx, figures_html, projects_pdf, write_corpus
from ingest.extract import extract
from ingest.tables import table_lines


def test_table_rows_keep_their_headers() -> None:
    assert table_lines(BUDGET) == [
        "Jahr | Mitglieder | Budget (EUR)",
        "Jahr: 2021 | Mitglieder: 50 | Budget (EUR): 120.000",
        "Jahr: 2022 | Mitglieder: 64 | Budget (EUR): 135.500",
        "Jahr: 2023 | Mitglieder: 71 | Budget (EUR): 142.000",
    ]
    assert table_lines([["A", "B"], ["", "  x \n y "], ["", ""]], "Titel") == ["Titel", "A | B", "Titel: B: x y"]
    assert table_lines(BUDGET[:2], heading="Netz:")[1] == "Netz: Jahr: 2021 | Mitglieder: 50 | Budget (EUR): 120.000"
    assert table_lines([]) == []


def test_word_html_and_pdf_tables_become_rows_in_document_order(tmp_path: Path) -> None:
    word = extract(budget_docx(tmp_path / "foerderbericht.docx")).text
    assert "Förderbericht Netzwerk Alpenraum: Jahr: 2022 | Mitglieder: 64 | Budget (EUR): 135.500" in word
    assert word.index("nennt Mitglieder") < word.index("Jahr: 2021") < word.index("Ausblick")
    assert "Zeitraum: 2021-2023 | Sitz: Innsbruck" in word, "a merged cell counts once"
    page = extract(figures_html(tmp_path / "funding.html")).text
    assert "Danube network in figures\n\nYear | Members | Budget (EUR) | Annual meeting\n\n" in page
    assert (
        "Danube network in figures: Year: 2022 | Members: 57 | Budget (EUR): 101,250 | Annual meeting: Budapest" in page
    )
    assert page.index("per year") < page.index("Year: 2021") < page.index("Outlook")
    pdf = extract(projects_pdf(tmp_path / "haushalt.pdf"))
    assert pdf.text.split("\n\n")[:3] == [
        "Haushalt des Netzwerks Bodensee in Zahlen:",
        "Jahr | Projekte | Budget (EUR) | Sitzung",
        "Haushalt des Netzwerks Bodensee in Zahlen: Jahr: 2021 | Projekte: 7 | Budget (EUR): 88.000 | "
        "Sitzung: 12. März 2021",
    ]
    assert pdf.text.rstrip().endswith("Der Ausblick folgt im nächsten Bericht.") and pdf.pages == [0]


def test_a_table_cell_is_found_and_cited_with_its_row(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    assistant.library.ensure_ingested()
    for item in QUESTIONS:
        rows = [p for p in assistant.retrieve(item.question, 5) if item.row in p.text]
        assert rows and rows[0].source == item.source, item.question
    answer = assistant.variant(answerability="off").ask(QUESTIONS[0].question)
    cited = answer.citations[0]
    assert "Mitglieder: 64" in answer.answer and QUESTIONS[0].row in cited.quote
    text = assistant.library.source_text(cited.passage.source)
    assert text is not None and text[cited.quote_start : cited.quote_end] == cited.quote
