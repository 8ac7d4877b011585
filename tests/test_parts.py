"""A question that joins several is answered part by part (assistant/parts.py)."""

from __future__ import annotations

from assistant.parts import answerable_parts, joined_answer
from assistant.pipeline import Assistant
from assistant.types import Answer, Citation, Passage, Token

METREX = (
    "Which German metropolitan regions are members of METREX, and who from the Stuttgart region sits on its "
    "Managing Committee?"
)


def test_a_question_is_split_only_into_parts_that_ask_on_their_own() -> None:
    assert answerable_parts(METREX) == [
        "Which German metropolitan regions are members of METREX?",
        "Who from the Stuttgart region sits on its Managing Committee?",
    ]
    for whole in ("Wann und wo findet der dritte Metropolkongress statt?", "Who founded METREX, and in which year?"):
        assert answerable_parts(whole) == [whole], "a part of three words or fewer is no question of its own"
    assert answerable_parts("Was ist EMTA?") == ["Was ist EMTA?"]
    species = "How many species of bird and mammals are there in the Amazon region?"
    assert answerable_parts(species) == [species], "a part without a question word of its own"
    assert answerable_parts("Aus welchem Wettbewerb ist der IKM hervorgegangen, und seit wann gibt es ihn?") == [
        "Aus welchem Wettbewerb ist der IKM hervorgegangen?",
        "Seit wann gibt es ihn?",
    ]


def _citation(n: int, source: str) -> Citation:
    return Citation.of_whole(n, Passage(source, f"{source} sagt es.", 0, len(source) + 9, 0.5, "de"))


def test_joined_answers_number_each_source_once_and_say_which_part_is_missing() -> None:
    a, b = _citation(1, "a.txt"), _citation(2, "b.txt")
    first = Answer("A [1] und B [2].", "de", [a, b], quote=a)
    second = Answer("B [1], C [2].", "de", [_citation(1, "b.txt"), _citation(2, "c.txt")])
    refused = Answer("Dazu steht nichts in den Dokumenten.", "de", refused=True)
    joined = joined_answer(["Erstens?", "Zweitens?", "Drittens?"], [first, second, refused])
    assert joined.answer == (
        "**Erstens?**\n\nA [1] und B [2].\n\n**Zweitens?**\n\nB [2], C [3].\n\n"
        "**Drittens?**\n\nDazu steht nichts in den Dokumenten."
    )
    assert [(c.n, c.passage.source) for c in joined.citations] == [(1, "a.txt"), (2, "b.txt"), (3, "c.txt")]
    assert not joined.refused and joined.quote is not None and joined.quote.n == 1
    nothing = joined_answer(["Erstens?", "Drittens?"], [refused, refused])
    assert nothing.refused and nothing.answer == refused.answer


def test_both_parts_of_a_question_are_answered(assistant: Assistant) -> None:
    events = list(assistant.ask_stream(METREX))
    answer = events[-1]
    assert isinstance(answer, Answer) and isinstance(events[0], Token) and "members of METREX?**" in events[0].text
    assert "Berlin-Brandenburg" in answer.answer and "Kiwitt" in answer.answer, answer.answer
    assert answer.answer.index("**Who from the Stuttgart region") > answer.answer.index("Berlin-Brandenburg")
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1)) and all(f"[{n}]" in answer.answer for n in numbers)
    whole = assistant.without_stages("parts").ask(METREX)
    assert not ("Berlin-Brandenburg" in whole.answer and "Kiwitt" in whole.answer), "asked whole, one part is lost"
