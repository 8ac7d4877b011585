"""Second-stage ranking of the retrieved candidates by an LLM judge.

No multilingual cross-encoder ships its weights on PyPI (docs/models.md), so the answer
LLM itself judges each candidate: "does this passage answer the question?", scored by
the probability of "yes" on its next token.  Only the first ``candidates`` passages are
judged (each costs one short prompt evaluation); the rest keep their order behind them.
The question comes before the passage in the prompt so llama.cpp reuses the cached
prefix and pays only for the passage.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.llm import yes_probability
from assistant.types import Passage

_SYSTEM = "You judge search results for a question. The passage may be in German or English. Reply with yes or no only."


def ask_yes_no(llm: LLM, system: str, user: str) -> float:
    """The probability of "yes" as the model's next token after ``system`` and ``user``."""
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]
    probability = yes_probability(llm, messages)
    return 0.5 if probability is None else probability


class LlmJudgeReranker:
    """Reorders the top ``candidates`` passages by the LLM's yes-probability that they answer the question."""

    def __init__(self, llm: LLM, candidates: int = 10) -> None:
        self.llm = llm
        self.candidates = candidates

    def judge(self, question: str, passage: Passage) -> float:
        return ask_yes_no(
            self.llm,
            _SYSTEM,
            f"Question: {question}\n\nPassage: {passage.text.strip()}\n\n"
            "Does the passage contain the answer to the question? Reply yes or no.",
        )

    def rerank(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        head = list(passages[: self.candidates])
        scores = [self.judge(question, p) for p in head]
        order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
        return [head[i] for i in order] + list(passages[self.candidates :])
