"""Tables as text in which every row keeps its column headers.

A table cell means nothing without its column: "50" is an answer only as
"Mitglieder: 50" in the row "Jahr: 2021".  So each row becomes one line
``Header: cell | Header: cell`` after a line with the headers themselves; a row is
then one retrievable, citable piece of text, and the viewer shows it as it was indexed.
The first row counts as the header row (Word and most HTML tables put it there).

A row line alone ("Jahr: 2022 | Mitglieder: 64") says nothing about *what* it counts:
its cosine to "Wie viele Mitglieder hatte das Netzwerk Alpenraum 2022?" is 0.24, with the
table's title in front 0.33-0.41 (USE).  So each row starts with the table's caption or,
without one, the heading it stands under.
"""

from __future__ import annotations

from collections.abc import Sequence


def _clean(cell: str) -> str:
    return " ".join((cell or "").split())


def table_lines(rows: Sequence[Sequence[str]], caption: str = "", heading: str = "") -> list[str]:
    """The lines a table becomes: its caption, its headers, then one line per row with headers.

    Each row line starts with the caption (or the ``heading`` above the table) as "Title: ".
    """
    cleaned = [[_clean(c) for c in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    title = (_clean(caption) or _clean(heading)).rstrip(":").strip()
    lines = [_clean(caption)] if _clean(caption) else []
    if not cleaned:
        return lines
    header, body = cleaned[0], cleaned[1:]
    lines.append(" | ".join(c for c in header if c))
    for row in body:
        cells = []
        for column, cell in enumerate(row):
            if not cell:
                continue
            name = header[column] if column < len(header) else ""
            cells.append(f"{name}: {cell}" if name and name != cell else cell)
        if cells:
            lines.append((f"{title}: " if title else "") + " | ".join(cells))
    return [line for line in lines if line]


def pdf_pages_with_tables(path: object) -> dict[int, str]:
    """Page index -> the page's text with its tables as rows, for the pages pdfplumber finds tables on.

    pypdf reads a table as word soup, row by row without its columns; pdfplumber finds
    ruled tables and their cells.  The text above, between and below the tables is read
    by pdfplumber too, so the page keeps its order; the line right above a table titles
    its rows.
    """
    import pdfplumber

    pages: dict[int, str] = {}
    with pdfplumber.open(str(path)) as pdf:
        for index, page in enumerate(pdf.pages):
            tables = page.find_tables()
            if not tables:
                continue
            left, top, right, bottom = page.bbox
            parts: list[str] = []
            for table in sorted(tables, key=lambda t: t.bbox[1]):
                above = (
                    page.crop((left, top, right, table.bbox[1])).extract_text().strip() if table.bbox[1] > top else ""
                )
                if above:
                    parts.append(above)
                title = above.splitlines()[-1] if above else ""
                parts.extend(table_lines(table.extract(), heading=title))
                top = max(top, table.bbox[3])
            below = page.crop((left, top, right, bottom)).extract_text().strip() if top < bottom else ""
            if below:
                parts.append(below)
            pages[index] = "\n\n".join(parts)
    return pages
