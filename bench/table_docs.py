"""A small bilingual corpus of tables (Word, HTML, PDF) and questions whose answer is one cell.

Made from code, so the tests and ``bench/tables.py`` need no stored files: a German
funding report in Word (budget per year, a merged cell), an English HTML page (members
and budget per year, with a caption) and a German PDF (projects, budget and meeting
dates in a ruled table).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.scans import table_pdf

BUDGET = [
    ["Jahr", "Mitglieder", "Budget (EUR)"],
    ["2021", "50", "120.000"],
    ["2022", "64", "135.500"],
    ["2023", "71", "142.000"],
]
FIGURES = [
    ["Year", "Members", "Budget (EUR)", "Annual meeting"],
    ["2021", "48", "98,000", "Linz"],
    ["2022", "57", "101,250", "Budapest"],
    ["2023", "61", "104,900", "Novi Sad"],
]
PROJECTS = [
    ["Jahr", "Projekte", "Budget (EUR)", "Sitzung"],
    ["2021", "7", "88.000", "12. März 2021"],
    ["2022", "9", "91.300", "8. April 2022"],
    ["2023", "11", "96.750", "3. Mai 2023"],
]


def budget_docx(path: Path) -> Path:
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


def figures_html(path: Path) -> Path:
    def cells(row: list[str], tag: str) -> str:
        return "".join(f"<{tag}>{value}</{tag}>" for value in row)

    rows = f"<tr>{cells(FIGURES[0], 'th')}</tr>" + "".join(f"<tr>{cells(r, 'td')}</tr>" for r in FIGURES[1:])
    path.write_text(
        "<html><body><h1>Funding report: Danube network</h1><p>Members and budget per year.</p>"
        f"<table><caption>Danube network in figures</caption>{rows}</table><p>Outlook follows.</p></body></html>",
        encoding="utf-8",
    )
    return path


def projects_pdf(path: Path) -> Path:
    return table_pdf(
        "Haushalt des Netzwerks Bodensee in Zahlen:", PROJECTS, "Der Ausblick folgt im nächsten Bericht.", path
    )


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    budget_docx(folder / "foerderbericht-alpenraum.docx")
    figures_html(folder / "danube-network.html")
    projects_pdf(folder / "haushalt-bodensee.pdf")
    return folder


@dataclass(frozen=True)
class CellQuestion:
    question: str
    #: the cell's value as it must appear in the answer (German or English number format)
    facts: tuple[str, ...]
    source: str
    #: the words that identify the cell's row in the stored text
    row: str


QUESTIONS = [
    CellQuestion(
        "Wie viele Mitglieder hatte das Netzwerk Alpenraum 2022?",
        ("64",),
        "foerderbericht-alpenraum.docx",
        "Jahr: 2022 | Mitglieder: 64",
    ),
    CellQuestion(
        "Wie hoch war das Budget des Netzwerks Alpenraum 2023?",
        ("142.000", "142 000"),
        "foerderbericht-alpenraum.docx",
        "Jahr: 2023 | Mitglieder: 71",
    ),
    CellQuestion(
        "How many members did the Alpenraum network have in 2021?",
        ("50",),
        "foerderbericht-alpenraum.docx",
        "Jahr: 2021 | Mitglieder: 50",
    ),
    CellQuestion(
        "Wo hat das Netzwerk Alpenraum seinen Sitz?", ("Innsbruck",), "foerderbericht-alpenraum.docx", "Sitz: Innsbruck"
    ),
    CellQuestion(
        "How many members did the Danube network have in 2022?",
        ("57",),
        "danube-network.html",
        "Year: 2022 | Members: 57",
    ),
    CellQuestion(
        "What was the budget of the Danube network in 2023?",
        ("104,900", "104.900"),
        "danube-network.html",
        "Year: 2023 | Members: 61",
    ),
    CellQuestion(
        "Where was the annual meeting of the Danube network in 2021?",
        ("Linz",),
        "danube-network.html",
        "Year: 2021 | Members: 48",
    ),
    CellQuestion(
        "Wo fand die Jahrestagung des Donau-Netzwerks 2022 statt?",
        ("Budapest",),
        "danube-network.html",
        "Year: 2022 | Members: 57",
    ),
    CellQuestion(
        "Wie viele Projekte hatte das Netzwerk Bodensee 2022?",
        ("9",),
        "haushalt-bodensee.pdf",
        "Jahr: 2022 | Projekte: 9",
    ),
    CellQuestion(
        "Wann war die Sitzung des Netzwerks Bodensee 2023?",
        ("3. Mai 2023",),
        "haushalt-bodensee.pdf",
        "Jahr: 2023 | Projekte: 11",
    ),
    CellQuestion(
        "What was the budget of the Bodensee network in 2021?",
        ("88.000", "88,000"),
        "haushalt-bodensee.pdf",
        "Jahr: 2021 | Projekte: 7",
    ),
    CellQuestion(
        "Wie hoch war das Budget des Netzwerks Bodensee 2022?",
        ("91.300", "91 300"),
        "haushalt-bodensee.pdf",
        "Jahr: 2022 | Projekte: 9",
    ),
]
