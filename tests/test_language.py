"""Question language decides the answer language, so it must be right on short questions."""

from __future__ import annotations

import pytest

from assistant.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Why is the Verband Region Stuttgart a member of EMTA?", "en"),
        ("Who is Thomas Kiwitt?", "en"),
        ("Wo findet der zweite Metropolkongress statt?", "de"),
        ("Warum ist der Verband Region Stuttgart Mitglied bei EMTA?", "de"),
        ("Welche Netzwerke gibt es?", "de"),
        ("What does the Europabüro in Brüssel do?", "en"),
        ("Metropolkongress Heilbronn", "de"),
        ("Die Region Stuttgart ist nach Fläche, Einwohnerzahl und Wirtschaftskraft die Kernregion.", "de"),
        ("METREX is a network of more than 50 metropolitan regions and areas in Europe.", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_nothing_to_go_on_gives_the_default() -> None:
    assert detect_language("1234 ?!", default="de") == "de"
