"""Questions rewritten by the LLM before retrieval: follow-ups made standalone, and translated.

* **Follow-ups.** "Und wo findet der zweite statt?" names nothing to search for.  With
  an LLM configured, the conversation's earlier questions, what the last answer said
  and the follow-up go to the model, which writes one standalone question; without one,
  :mod:`assistant.followup` prepends the previous question (measured against each other
  in docs/evaluation.md).
* **Translation.** The embedder ranks a passage in the question's own language above
  its equally relevant counterpart in the other language; searching also with the
  question translated (German <-> English) brings the other language's passages up.

Both are short generations (a question, not an answer); results are cached, so a
question asked again costs nothing.  Output that is not a plausible question (empty,
a refusal, far too long) is discarded and the original text used instead.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.followup import leans_on
from assistant.llm import limited, prefill
from assistant.prompts import EXTRACTIVE_INTRO
from assistant.types import Language, Turn, as_turns

log = logging.getLogger(__name__)

_LANGUAGE_NAME: dict[Language, str] = {"de": "German", "en": "English"}
OTHER_LANGUAGE: dict[Language, Language] = {"de": "en", "en": "de"}
MAX_QUERY_TOKENS = 80
#: characters of the last answer the follow-up rewrite reads
ANSWER_CHARS = 300
_MARKER = re.compile(r"\s*\[\d+\]")
_CACHE_SIZE = 512

_STANDALONE_SYSTEM = (
    "You rewrite the last question of a conversation so that it can be understood without the "
    "conversation: replace pronouns and references with the names they refer to. Keep the language of "
    "the last question. Reply with the rewritten question only, no explanation, no answer."
)
_TRANSLATE_SYSTEM = (
    "You translate search questions between German and English. Keep names, places and acronyms. "
    "Reply with the translated question only, no explanation, no answer."
)


class QueryRewriter:
    """Standalone and translated search questions from an LLM (llama-index ``LLM``)."""

    def __init__(self, llm: LLM) -> None:
        self.llm = limited(llm, MAX_QUERY_TOKENS)
        self._cache: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Empty the cache (the evaluation times answers as for questions never seen before)."""
        with self._lock:
            self._cache.clear()

    def standalone(self, question: str, history: Sequence[str | Turn]) -> str:
        """``question`` rewritten to stand alone when it leans on ``history``; otherwise unchanged."""
        turns = as_turns(history[-3:])
        if not leans_on(question, turns):
            return question
        *before, last = turns
        earlier = "\n".join([*(f"- {turn.question}" for turn in before), _turn_lines(last)])
        prompt = f"Earlier questions:\n{earlier}\n\nLast question: {question}\n\nRewritten last question:"
        return self._generate(_STANDALONE_SYSTEM, prompt, fallback=question)

    def prefill(self) -> None:
        """Evaluate the translation prompt's fixed start (local model) before the first question needs it."""
        prefill(self.llm, _messages(_TRANSLATE_SYSTEM, _translate_prompt("", "en")))

    def translate(self, question: str, target: Language) -> str:
        """``question`` in ``target`` language ("de" or "en")."""
        return self._generate(_TRANSLATE_SYSTEM, _translate_prompt(question, target), fallback=question)

    def _generate(self, system: str, prompt: str, fallback: str) -> str:
        key = (system, prompt)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            text = self.llm.chat(_messages(system, prompt), max_tokens=MAX_QUERY_TOKENS).message.content or ""
        except Exception:  # an unreachable endpoint must not stop retrieval
            log.warning("query rewrite failed; searching with the question as asked", exc_info=True)
            return fallback
        result = _clean(text) or fallback
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result


def _translate_prompt(question: str, target: Language) -> str:
    return f"Translate this question into {_LANGUAGE_NAME[target]}:\n{question}"


def _messages(system: str, prompt: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=prompt)]


def _turn_lines(turn: Turn) -> str:
    """The last turn as the rewrite prompt shows it: the question, then what its answer said.

    Only the last answer goes along (a follow-up refers to what was just said); each
    answer adds ~80 prompt tokens, over half a second on two cores.
    """
    if not turn.answer:
        return f"- {turn.question}"
    return f"- {turn.question}\n  Answer: {answer_gist(turn.answer)}"


def answer_gist(answer: str, limit: int = ANSWER_CHARS) -> str:
    """What an earlier answer said, short: its model-written sentences, else its quotes; no markers, one line.

    An answer opens with the quoted evidence ("The documents say: …") and, with an LLM, the
    model's sentences follow after a blank line.  Those state what was asked ("… the Managing
    Committee of METREX …"); the quotes may include a neighbouring item (the "European
    Innovation Policy" network) that the rewrite then took for "that network".  A chat
    client's copy may end with its list of sources, which says nothing of its own.
    """
    blocks = [b.strip() for b in re.split(r"\n\s*\n", answer) if b.strip()]
    blocks = [b for b in blocks if not b.startswith(("**Sources**", "**Quellen**"))]
    intros = tuple(EXTRACTIVE_INTRO.values())
    said = [b for b in blocks if not b.startswith(intros)]
    if not said:  # quotes only (extractive): the quotes are what it said
        said = [next((b[len(i) :] for i in intros if b.startswith(i)), b) for b in blocks]
    text = " ".join(_MARKER.sub("", " ".join(said)).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _clean(text: str) -> str:
    """The first line of the model's reply, without quotes or a label; empty when implausible."""
    line = next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), "")
    for label in ("Rewritten last question:", "Translation:", "Question:", "Frage:"):
        if line.lower().startswith(label.lower()):
            line = line[len(label) :].strip()
    line = line.strip("\"'„“”«» ")
    if not line or len(line) > 400:
        return ""
    return line
