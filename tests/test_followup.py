"""Follow-up questions are searched with the question they lean on."""

from __future__ import annotations

from assistant.followup import is_followup, standalone_query
from assistant.pipeline import Assistant

FIRST = "Wann fand der erste Metropolkongress statt?"


def test_followups_are_recognised() -> None:
    assert is_followup("Und wo findet der zweite statt?")
    assert is_followup("And what came out of it?")
    assert is_followup("Who is it aimed at?")
    assert not is_followup("Why is the Verband Region Stuttgart a member of EMTA?")
    assert not is_followup(
        "Wo findet der zweite Metropolkongress in der Region Stuttgart statt und wer organisiert ihn?"
    )


def test_standalone_query_chains_through_earlier_followups() -> None:
    assert standalone_query("Und wo findet der zweite statt?", []) == "Und wo findet der zweite statt?"
    assert standalone_query("Und wo findet der zweite statt?", [FIRST]) == f"{FIRST} Und wo findet der zweite statt?"
    chained = standalone_query("And what about it?", ["Was ist METREX?", "Und wer sitzt dort im Vorstand?"])
    assert chained.startswith("Was ist METREX?")
    assert standalone_query("Was ist EMTA?", [FIRST]) == "Was ist EMTA?", "a new topic is searched as it is"


def test_followup_finds_heilbronn_only_with_history(assistant: Assistant) -> None:
    with_history = assistant.retrieve("Und wo findet der zweite statt?", 5, history=[FIRST])
    assert any("Heilbronn" in p.text for p in with_history)


def test_ask_with_history_answers_the_followup(assistant: Assistant) -> None:
    answer = assistant.ask("Und wo findet der zweite statt?", history=[FIRST])
    assert not answer.refused
    assert any("Heilbronn" in c.passage.text for c in answer.citations)


def test_a_rewrite_that_names_nothing_from_the_conversation_resolves_nothing() -> None:
    from assistant.followup import adds_context

    history = ["Wer hat die Strategie für den Wirtschafts- und Wissenschaftsstandort Region Stuttgart beschlossen?"]
    assert not adds_context("Wann war das, und gab es Gegenstimmen?", "Wann war das, und gab es Gegenstimmen?", history)
    assert adds_context("Wann wurde die Strategie beschlossen?", "Wann war das?", history)


def test_das_as_a_pronoun_makes_a_follow_up_but_not_as_an_article() -> None:
    from assistant.followup import is_followup

    assert is_followup("Wann war das, und gab es Gegenstimmen?")
    assert not is_followup("Wann war das Treffen in Heilbronn?")
