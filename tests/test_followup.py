"""Follow-up questions are searched with the question they lean on."""

from __future__ import annotations

from assistant.conversation import Conversation
from assistant.followup import is_followup, leans_on, standalone_query
from assistant.pipeline import Assistant
from assistant.query_transform import answer_gist
from assistant.types import Answer, Turn
from eval.runner import dialogue_turns
from eval.suites import Case

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


KIWITT = "On which European network's Managing Committee does Thomas Kiwitt sit?"
KIWITT_ANSWER = (
    "Thomas Kiwitt, Director Planning of the Verband Region Stuttgart, is member of the Managing Committee of "
    "METREX since April 2021. [1]"
)
THAT_NETWORK = "How many regions does that network bring together?"


def test_a_followup_is_resolved_with_what_the_previous_answer_named(assistant: Assistant) -> None:
    """ "that network" is METREX, named only in the answer: with the answer the follow-up finds its size."""
    with_answer = assistant.ask(THAT_NETWORK, history=[Turn(KIWITT, KIWITT_ANSWER)])
    assert "METREX" in with_answer.citations[0].quote and "50" in with_answer.citations[0].quote
    question_only = assistant.ask(THAT_NETWORK, history=[KIWITT])
    # without the answer the follow-up misses it: refused (no count of regions in its evidence) or quoting another
    assert question_only.refused or "50" not in question_only.citations[0].quote
    ignoring = assistant.variant(followup_answers=False).ask(THAT_NETWORK, history=[Turn(KIWITT, KIWITT_ANSWER)])
    assert ignoring.refused == question_only.refused
    assert [c.quote for c in ignoring.citations] == [c.quote for c in question_only.citations]


def test_a_conversation_passes_its_answers_but_not_its_refusals() -> None:
    conversation = Conversation()
    conversation.add(KIWITT, Answer(answer=KIWITT_ANSWER, language="en"))
    conversation.add("Wie alt ist er?", Answer(answer="Dazu steht nichts.", language="de", refused=True))
    assert conversation.turns == [Turn(KIWITT, KIWITT_ANSWER), Turn("Wie alt ist er?", "")]
    assert conversation.history == [KIWITT, "Wie alt ist er?"]
    composed = (
        'The documents say:\n- “… the "European Innovation Policy" network on LinkedIn.” [1]\n- “… METREX …” [2]\n\n'
        "Thomas Kiwitt is a member of the Managing Committee of METREX. [2]\n\n**Sources**\n- [1] a.txt"
    )
    assert answer_gist(composed) == "Thomas Kiwitt is a member of the Managing Committee of METREX.", "its own words"
    quotes_only = composed.split("\n\n")[0]
    assert answer_gist(quotes_only).startswith('- “… the "European Innovation Policy"'), "quotes when nothing else"
    assert len(answer_gist("Wort " * 100)) <= 302 and answer_gist("kurz [2]") == "kurz"


def test_the_evaluation_passes_the_answers_a_dialogue_got() -> None:
    case = Case("q074.2", THAT_NETWORK, "en", True, {}, history=(KIWITT,))
    given = {"q074.1": Turn(KIWITT, KIWITT_ANSWER)}
    assert dialogue_turns(case, given) == [Turn(KIWITT, KIWITT_ANSWER)]
    assert dialogue_turns(case, {}) == [KIWITT], "a turn not answered in this run stays a question"
    other = Case("fb-7", THAT_NETWORK, "en", True, {}, history=(KIWITT,))
    assert dialogue_turns(other, given) == [KIWITT]


def test_the_rest_of_a_question_leans_on_its_first_part_however_it_is_worded() -> None:
    first = "Who was director of the Verband Region Stuttgart at the time of the 2007 network conference?"
    rest = "Why is the Verband a member of EMTA?"
    assert not leans_on(rest, [Turn(first)]), "asked after it in a conversation, it stands alone"
    assert leans_on(rest, [Turn(first, joined=True)])
    assert standalone_query(rest, [first], joined=True) == f"{first} {rest}"
    assert standalone_query(rest, [first]) == rest
