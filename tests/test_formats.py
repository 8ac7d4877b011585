"""Each supported format, from a real small file made here, ingested and cited with exact offsets."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from assistant.pipeline import Assistant, build_assistant
from ingest.extract import UnreadableFileError, extract
from ingest.loader import load_documents

HTML = """<!doctype html><html><head><title>T</title><style>p {color: red}</style>
<script>var tracking = "Verfolgungscode";</script></head><body>
<nav><a href="/">Startseite</a> | <a href="/impressum">Impressum Navigationsleiste</a></nav>
<header>Kopfzeile der Webseite</header>
<main><h1>Regionalverband</h1><p>Der Verband   plant die <b>Regionalentwicklung</b>
im Großraum.</p><p>Die Regionalversammlung tagt öffentlich; sie beschließt den Regionalplan, den Landschaftsrahmenplan
und den Regionalverkehrsplan. Ihre Mitglieder werden alle fünf Jahre direkt von den Bürgerinnen und Bürgern der
fünf Landkreise und der Landeshauptstadt gewählt. Die Geschäftsstelle bereitet die Sitzungen vor.</p>
<h2>Verkehr</h2><p>Die S-Bahn verbindet 179 Orte der Region.</p><p>Der Verband ist Aufgabenträger für die S-Bahn
und plant ihren Ausbau gemeinsam mit dem Land und der Deutschen Bahn. Zu den Hauptverkehrszeiten fahren die Züge im
Viertelstundentakt. Neue Strecken und Verlängerungen werden mit Bund und Land finanziert. Auch Expressbuslinien
ergänzen das Netz dort, wo keine Schiene liegt, und verbinden Mittelzentren ohne Umweg über die Landeshauptstadt.</p>
<ul><li>Erster Punkt</li><li>Zweiter Punkt</li></ul></main>
<footer>Fußzeile mit Copyright</footer></body></html>"""


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page (written by hand: no PDF writer needed)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for i, line in enumerate(pages):
        page_id, content_id = 4 + 2 * i, 5 + 2 * i
        kids.append(f"{page_id} 0 R")
        stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {content_id} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.insert(2, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_html_keeps_content_and_headings_drops_boilerplate(tmp_path: Path) -> None:
    (tmp_path / "seite.html").write_text(HTML, encoding="utf-8")
    extracted = extract(tmp_path / "seite.html")
    text = extracted.text
    assert "Der Verband plant die Regionalentwicklung im Großraum." in text
    assert "Erster Punkt" in text and "179 Orte" in text
    for noise in ("Verfolgungscode", "Navigationsleiste", "Kopfzeile", "Fußzeile", "color: red"):
        assert noise not in text
    assert [h for _, h in extracted.sections] == ["Regionalverband", "Verkehr"]
    assert extracted.section_at(text.index("179 Orte")) == "Verkehr"


def test_pdf_pages_are_kept_for_citations(tmp_path: Path) -> None:
    (tmp_path / "bericht.pdf").write_bytes(
        minimal_pdf(["Seite eins: Der Kongress tagt.", "Seite zwei: Heilbronn 2022."])
    )
    extracted = extract(tmp_path / "bericht.pdf")
    assert extracted.page_at(extracted.text.index("Heilbronn")) == 2
    assert extracted.page_at(extracted.text.index("Kongress")) == 1


def test_docx_paragraphs_and_heading_styles(tmp_path: Path) -> None:
    from docx import Document

    word = Document()
    word.add_heading("Europabüro", level=1)
    word.add_paragraph("Das Europabüro in Brüssel vertritt die Region gegenüber der EU.")
    word.add_heading("Projekte", level=2)
    word.add_paragraph("Die Region beteiligt sich an 12 EU-Förderprojekten.")
    word.save(tmp_path / "notiz.docx")
    extracted = extract(tmp_path / "notiz.docx")
    assert "vertritt die Region gegenüber der EU." in extracted.text
    assert extracted.section_at(extracted.text.index("12 EU")) == "Projekte"


def test_legacy_encoding_is_detected(tmp_path: Path) -> None:
    text = "Die Wirtschaftsförderung der Region Stuttgart fördert Gründungen. Größere Städte profitieren.\n" * 3
    (tmp_path / "alt.txt").write_bytes(text.encode("cp1252"))
    assert extract(tmp_path / "alt.txt").text == text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("kaputt.pdf", b"%PDF-1.4\nthis is not a pdf", "broken PDF"),
        ("kaputt.docx", b"PK\x03\x04 not a zip", "broken DOCX"),
        ("leer.html", b"<html><body><nav>nur Navigation</nav></body></html>", "empty"),
    ],
)
def test_broken_files_are_named_and_skipped(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UnreadableFileError, match=reason):
        extract(tmp_path / name)
    documents, skipped = load_documents(tmp_path)
    assert not documents and skipped[0].path.name == name and reason in skipped[0].reason


def test_formats_are_ingested_and_cited_with_section_and_page(assistant: Assistant, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seite.html").write_text(HTML, encoding="utf-8")
    intro = "Einleitung des Berichts. " + "Dieser Abschnitt beschreibt das Vorgehen der Arbeitsgruppen. " * 6
    (corpus / "bericht.pdf").write_bytes(minimal_pdf([intro, "Der Zeppelinhafen liegt am Neckar."]))
    with pytest.raises(ValueError, match="shares the index"):
        assistant.variant(collection="formats")
    other = build_assistant(assistant.settings.model_copy(update={"corpus_dir": corpus, "collection": "formats"}))
    report = other.library.ingest()
    assert sorted(report.added) == ["bericht.pdf", "seite.html"], report.summary()
    passages = other.retrieve("Fahren die S-Bahn-Züge im Viertelstundentakt?", 3)
    top = next(p for p in passages if "Viertelstundentakt" in p.text)
    assert top.section == "Verkehr" and other.library.source_text(top.source)[top.start : top.end] == top.text
    pdf = next(p for p in other.retrieve("Wo liegt der Zeppelinhafen?", 3) if p.source == "bericht.pdf")
    assert pdf.page_end == 2 and pdf.to_json(1)["page_end"] == 2
    first = next(p for p in other.retrieve("Vorgehen der Arbeitsgruppen", 3) if p.source == "bericht.pdf")
    assert first.page == 1


@pytest.mark.skipif(shutil.which("man") is None, reason="man pages are rendered by the system's man")
def test_man_page_is_rendered_with_its_sections(tmp_path: Path) -> None:
    source = (
        '.TH QUELLEN 1 "2026" "quellen" "Benutzerbefehle"\n.SH BEZEICHNUNG\nquellen \\- Antworten mit Belegen\n'
        ".SH BESCHREIBUNG\n.B quellen\nbeantwortet Fragen aus deutschen und englischen Dokumenten.\n"
    )
    (tmp_path / "quellen.1.gz").write_bytes(gzip.compress(source.encode("utf-8")))
    extracted = extract(tmp_path / "quellen.1.gz")
    assert "beantwortet Fragen aus deutschen und englischen Dokumenten." in extracted.text
    assert "\b" not in extracted.text, "no overstrike formatting left"
    assert extracted.section_at(extracted.text.index("beantwortet")) == "BESCHREIBUNG"


PLAIN_TEXT = """Europäische Netzwerke

Die Region Stuttgart arbeitet in den folgenden Netzwerken mit:

METREX (Netzwerk der europäischen Metropolregionen)

Das Netzwerk ist eine Plattform für den Erfahrungsaustausch zur Raumplanung.

METREX (Netzwerk der europäischen Metropolregionen)
eu.region-stuttgart.de

Partner:
Die Region arbeitet mit den folgenden Partnerorganisationen zusammen:
- Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR)

Ansprechpartner:
Helmuth Haag
Tel 0711 / 228 35-13
helmuth.haag@region-stuttgart.de
"""


def test_plain_text_headings_are_found_and_contact_blocks_are_not(tmp_path: Path) -> None:
    """Short lines of their own above a paragraph are headings; a line repeating one is a link back."""
    (tmp_path / "netzwerke.txt").write_text(PLAIN_TEXT, encoding="utf-8")
    extracted = extract(tmp_path / "netzwerke.txt")
    assert [h for _, h in extracted.sections] == [
        "Europäische Netzwerke",
        "METREX (Netzwerk der europäischen Metropolregionen)",
        "Partner:",
    ]
    assert extracted.section_at(PLAIN_TEXT.index("Plattform")) == "METREX (Netzwerk der europäischen Metropolregionen)"
    # the repeated METREX line and the address are passed over; the next heading starts at "Partner:"
    assert extracted.section_at(PLAIN_TEXT.index("eu.region")) == "METREX (Netzwerk der europäischen Metropolregionen)"
    # "Ansprechpartner:" is followed by a contact block, not a paragraph: no heading
    assert extracted.section_at(PLAIN_TEXT.index("Tel 0711")) == "Partner:"


def test_a_chunk_is_searched_with_its_heading_but_cited_with_its_own_words() -> None:
    """The chunk below "METREX (…)" does not name METREX; its heading makes the question find it."""
    from assistant.search_text import searchable_text

    body = "Das Netzwerk ist eine Plattform für den Erfahrungsaustausch zur Raumplanung."
    assert searchable_text(body, "METREX") == f"METREX\n\n{body}"
    assert searchable_text(f"METREX. {body}", "METREX") == f"METREX. {body}"  # already named
    assert searchable_text(body, "") == body
