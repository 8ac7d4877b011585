"""Tables in Word and HTML documents: every row with its headers, findable and citable (issue 16)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.pipeline import build_assistant
from ingest.extract import extract
from ingest.tables import table_lines

BUDGET = [
    ["Jahr", "Mitglieder", "Budget (EUR)"],
    ["2021", "50", "120.000"],
    ["2022", "64", "135.500"],
    ["2023", "71", "142.000"],
]


def _docx(path: Path) -> Path:
    from docx import Document

    word = Document()
    word.add_heading("Förderbericht Netzwerk Alpenraum", level=1)
    word.add_paragraph("Die Tabelle nennt Mitglieder und Budget je Jahr.")
    table = word.add_table(rows=len(BUDGET), cols=3)
    for row, values in zip(table.rows, BUDGET, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    merged = word.add_table(rows=2, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Zeitraum"
    merged.cell(0, 2).text = "Sitz"
    merged.cell(1, 0).merge(merged.cell(1, 1)).text = "2021-2023"
    merged.cell(1, 2).text = "Innsbruck"
    word.add_paragraph("Danach folgt der Ausblick.")
    word.save(path)
    return path


def _html(path: Path) -> Path:
    rows = "".join(
        "<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{v}</{'th' if i == 0 else 'td'}>" for v in r) + "</tr>"
        for i, r in enumerate(
            [["Year", "Members", "Budget (EUR)"], ["2021", "48", "98,000"], ["2022", "57", "101,250"]]
        )
    )
    path.write_text(
        f"<html><body><h1>Funding report: Danube network</h1><p>Members and budget per year.</p>"
        f"<table><caption>Danube network in figures</caption>{rows}</table><p>Outlook follows.</p></body></html>",
        encoding="utf-8",
    )
    return path


def test_table_rows_keep_their_headers() -> None:
    assert table_lines(BUDGET) == [
        "Jahr | Mitglieder | Budget (EUR)",
        "Jahr: 2021 | Mitglieder: 50 | Budget (EUR): 120.000",
        "Jahr: 2022 | Mitglieder: 64 | Budget (EUR): 135.500",
        "Jahr: 2023 | Mitglieder: 71 | Budget (EUR): 142.000",
    ]
    assert table_lines([["A", "B"], ["", "  x \n y "], ["", ""]], "Titel") == ["Titel", "A | B", "Titel: B: x y"]
    assert table_lines(BUDGET[:2], heading="Netz")[1] == "Netz: Jahr: 2021 | Mitglieder: 50 | Budget (EUR): 120.000"
    assert table_lines([]) == []


def test_word_and_html_tables_become_rows_in_document_order(tmp_path: Path) -> None:
    word = extract(_docx(tmp_path / "foerderbericht.docx")).text
    assert "Förderbericht Netzwerk Alpenraum: Jahr: 2022 | Mitglieder: 64 | Budget (EUR): 135.500" in word
    assert word.index("nennt Mitglieder") < word.index("Jahr: 2021") < word.index("Ausblick")
    assert "Zeitraum: 2021-2023 | Sitz: Innsbruck" in word, "a merged cell counts once"
    page = extract(_html(tmp_path / "funding.html")).text
    assert "Danube network in figures\n\nYear | Members | Budget (EUR)\n\nDanube network in figures: Year: 2021" in page
    assert page.index("per year") < page.index("Year: 2021") < page.index("Outlook")


def test_a_table_cell_is_answered_and_cited_with_its_row(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _docx(corpus / "foerderbericht.docx")
    _html(corpus / "funding.html")
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    assistant.ensure_ingested()
    for question, fact, source in (
        ("Wie viele Mitglieder hatte das Netzwerk Alpenraum 2022?", "Mitglieder: 64", "foerderbericht.docx"),
        ("What was the budget of the Danube network in 2022?", "101,250", "funding.html"),
    ):
        answer = assistant.variant(answerability="off").ask(question)
        assert fact in answer.answer, (question, answer.answer)
        cited = answer.citations[0]
        assert cited.passage.source == source and fact in cited.quote
        text = assistant.source_text(source)
        assert text is not None and text[cited.quote_start : cited.quote_end] == cited.quote
