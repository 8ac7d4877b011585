"""How much of its last evaluated prompt llama.cpp may reuse: one answer to a question, whatever came before.

llama.cpp keeps the tokens it evaluated last and reuses the longest prefix the next
prompt shares with them, evaluating the rest in batches from there.  Where that boundary
falls changes the floating-point results a little, and a greedy translation or a close
pick follows: "Welches Ziel verfolgt der Konvent der Bürgermeister?" got the gate's
probability 0.579 when asked first and 0.573 after a question on POLIS, and in whole
evaluation runs answers came and went with the questions asked before them
(docs/evaluation.md, fifteenth round).

So a prompt reuses only the part every question shares — the messages before its last
one, evaluated once on their own, from the start — unless it continues the previous
prompt of the same question (everything but the last line the same: the answer after
the judgement, the pick after the answer), which reuses what that one evaluated.  Where
the batches start is then the same for every question, whatever came before it.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: stands for the last message's text when the shared part is rendered on its own
_MARK = "\u27e6quellen-last-message\u27e7"


class SharedPrefix:
    """Cuts llama.cpp's reusable tokens to what the next prompt may reuse (see the module doc)."""

    def __init__(self, llama: Any) -> None:
        #: the ``llama_cpp.Llama`` whose evaluated tokens are managed
        self.llama = llama
        self._formatter = _chat_formatter(llama)
        #: the previous prompt without its last line: a prompt repeating it continues the same question
        self._previous: tuple[tuple[tuple[str, str], ...], str] | None = None
        self._shared: dict[tuple[tuple[str, str], ...], list[int]] = {}

    def prepare(self, chat: list[dict[str, str]]) -> None:
        """Before ``chat`` is evaluated: leave llama.cpp only the tokens this prompt may reuse."""
        stem = (tuple((m["role"], m["content"]) for m in chat[:-1]), chat[-1]["content"].rpartition("\n")[0])
        continues = bool(stem[1]) and stem == self._previous
        self._previous = stem
        if continues or self._formatter is None:
            return
        shared = self._shared_tokens(chat)
        cached = self.llama.n_tokens >= len(shared) and self.llama.input_ids[: len(shared)].tolist() == shared
        if cached:
            self.llama.n_tokens = len(shared)
            return
        self.llama.reset()
        if shared:
            self.llama.eval(shared)

    def _shared_tokens(self, chat: list[dict[str, str]]) -> list[int]:
        """The tokens of ``chat`` rendered up to its last message's text (the same for every question)."""
        key = (*((m["role"], m["content"]) for m in chat[:-1]), (chat[-1]["role"], ""))
        if key not in self._shared:
            rendered = self._formatter(messages=[*chat[:-1], {"role": chat[-1]["role"], "content": _MARK}])
            head = rendered.prompt.split(_MARK)[0]
            self._shared[key] = self.llama.tokenize(
                head.encode("utf-8"), add_bos=not rendered.added_special, special=True
            )
        return self._shared[key]


def _chat_formatter(llama: Any) -> Any | None:
    """The formatter of the chat template llama.cpp renders prompts with; ``None`` for another chat format.

    Without it the shared part cannot be told apart, and llama.cpp reuses prefixes as it does.
    """
    template = llama.metadata.get("tokenizer.chat_template")
    if llama.chat_handler is not None or llama.chat_format != "chat_template.default" or not template:
        log.info("prompt prefixes reused as llama.cpp does (chat format %s)", llama.chat_format)
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        return llama.detokenize([token], special=True).decode("utf-8", errors="ignore") if token != -1 else ""

    return Jinja2ChatFormatter(template=template, eos_token=text(llama.token_eos()), bos_token=text(llama.token_bos()))
