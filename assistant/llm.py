"""Answer LLM backends, all behind llama-index's ``LLM`` interface.

* ``local``: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).  The chat
  goes through ``create_chat_completion`` so the model's own chat template (stored in
  the GGUF) is applied, rather than a hand-written prompt format.
* ``openai``: any OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp server, OpenAI)
  through llama-index's ``OpenAILike``.
* ``extractive``: no answer LLM (``build_llm`` returns ``None``): the answer quotes the
  evidence.  The packaged model still translates the question and judges answerability
  (:func:`judge_llm`) unless ``answerability = "off"``.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from assistant.config import Settings
from assistant.model_files import ensure_model

log = logging.getLogger(__name__)
#: tokens of context for rewrites: a question, its translation, three earlier questions
REWRITE_CONTEXT = 1024


class LlamaCppChat(CustomLLM):
    """A llama.cpp model in this process; one generation at a time (llama.cpp is not re-entrant)."""

    model_path: str
    n_threads: int = 2
    n_ctx: int = 4096
    max_tokens: int = 384
    temperature: float = 0.0
    _llama: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr()
    #: the thread doing work aside in the middle of its generation (:meth:`_aside`), which holds the lock
    _aside_thread: int | None = PrivateAttr(default=None)
    #: token counts of the latest generation (prompt, completion), for the eval's prompt-size figures
    _usage: dict[str, int] = PrivateAttr(default_factory=dict)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=self.model_path,
            n_threads=self.n_threads,
            n_ctx=self.n_ctx,
            # flash attention: prompt processing 3-8 % faster on this CPU (bench/answer_latency.py)
            flash_attn=True,
            verbose=False,
        )
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "LlamaCppChat"

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The model for this thread alone; already so for work done aside in this thread's generation."""
        if self._aside_thread == threading.get_ident():
            yield
            return
        with self._lock:
            yield

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.n_ctx,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_path.rsplit("/", 1)[-1],
        )

    def _request(self, messages: Sequence[ChatMessage], stream: bool, max_tokens: int | None = None) -> Any:
        return self._llama.create_chat_completion(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
            max_tokens=max_tokens or self.max_tokens,
            temperature=self.temperature,
            stream=stream,
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._exclusive():
            result = self._request(messages, stream=False, max_tokens=kwargs.get("max_tokens"))
        text = result["choices"][0]["message"]["content"] or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=result)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the reply to ``messages``.

        ``after_first_token``: a callable run once the first piece has gone out, before
        the second is generated; it may use this model (the answerability judgement),
        after which the generation's state is put back.  When it returns ``False`` the
        generation stops there.
        """
        aside: Callable[[], bool] | None = kwargs.get("after_first_token")

        def generate() -> ChatResponseGen:
            with self._exclusive():
                text = ""
                generated = 0
                pending = aside
                for chunk in self._request(messages, stream=True):
                    delta = chunk["choices"][0]["delta"].get("content") or ""
                    if not delta:
                        continue
                    generated += 1
                    text += delta
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)
                    if pending is not None:
                        go_on, pending = self._aside(pending), None
                        if not go_on:
                            break
                # llama.cpp holds prompt + generated tokens; streamed pieces are one token each
                self._usage = {"prompt_tokens": self._llama.n_tokens - generated, "completion_tokens": generated}

        return generate()

    def _aside(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` in the middle of a generation, then restore what the generation had evaluated.

        ``work`` evaluates prompts of its own (the judge's shares the answer prompt up to
        its last line), so afterwards the tokens the generation held are evaluated again
        from the first one that differs (the answer's last line, ~20 tokens), and its
        sampler is put back; the suspended generation then goes on as if nothing happened.
        """
        llama = self._llama
        held = llama.input_ids[: llama.n_tokens].copy()
        sampler = llama._sampler
        self._aside_thread = threading.get_ident()
        try:
            return work()
        finally:
            self._aside_thread = None
            kept = llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], held)
            llama.n_tokens = kept
            llama._ctx.kv_cache_seq_rm(-1, kept, -1)
            if kept < len(held):
                llama.eval(held[kept:].tolist())
            llama._sampler = sampler

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate ``messages`` now, so that a later prompt opening the same way starts after them."""
        with self._exclusive():
            self._request(messages, stream=False, max_tokens=1)

    @property
    def last_usage(self) -> dict[str, int]:
        """Token counts of the latest streamed generation."""
        return dict(self._usage)

    def yes_probability(self, messages: Sequence[ChatMessage]) -> float:
        """P("yes") against P("no") for the model's next token after ``messages``.

        Read from the logits of one decoding step, so llama.cpp reuses the cached prompt
        prefix: a judge that puts the question before the passage pays only for the passage.
        """
        yes, no = self._answer_tokens()
        row = self._step_logits(messages, steps=1)[0]
        return 1.0 / (1.0 + math.exp(float(np.logaddexp.reduce(row[no]) - np.logaddexp.reduce(row[yes]))))

    def option_probabilities(self, messages: Sequence[ChatMessage], options: Sequence[str]) -> list[float] | None:
        """The model's probabilities of each option (one token each, e.g. "1".."5") as its reply, summing to 1.

        The model may open its reply with a bracket ("[2]"), so two decoding steps are
        read and the first step whose likeliest token is an option counts; ``None`` when
        neither step was (the model meant to say something else).  Only the last prompt
        line differs from the answer prompt, so llama.cpp reuses the rest.
        """
        ids = [self._llama.tokenize(o.encode(), add_bos=False, special=False)[0] for o in options]
        for row in self._step_logits(messages, steps=2):
            if int(np.argmax(row)) in ids:
                weights = np.exp(row[ids] - row[ids].max())
                return (weights / weights.sum()).tolist()
        return None

    def _step_logits(self, messages: Sequence[ChatMessage], steps: int) -> list[np.ndarray]:
        """The logits of the first ``steps`` greedy decoding steps after ``messages``.

        A logits processor sees them, so no ``logits_all`` is needed.
        """
        rows: list[np.ndarray] = []

        def capture(_ids: Any, logits: Any) -> Any:
            rows.append(np.asarray(logits, dtype=np.float64))
            return logits

        with self._exclusive():
            self._llama.create_chat_completion(
                messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
                max_tokens=steps,
                temperature=0.0,
                logits_processor=[capture],
            )
        return rows

    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        def first_tokens(words: Sequence[str]) -> list[int]:
            return sorted({self._llama.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words})

        return first_tokens(["yes", "Yes", " yes", " Yes"]), first_tokens(["no", "No", " no", " No"])

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        response = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=response.message.content or "")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        for response in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
            yield CompletionResponse(text=response.message.content or "", delta=response.delta)


def prefill(llm: LLM, messages: Sequence[ChatMessage]) -> None:
    """Have ``llm`` evaluate the fixed start of a prompt ahead of the first question that uses it.

    Only the local model keeps what it evaluated in this process (~560 tokens of system
    prompt and worked examples: ~6 s on 2 cores); an endpoint is not asked anything.
    """
    if isinstance(llm, LlamaCppChat):
        llm.prefill(messages)


def limited(llm: LLM, max_tokens: int, logprobs: bool = False) -> LLM:
    """``llm`` generating at most ``max_tokens`` (and returning log-probabilities if asked).

    llama-index's OpenAI classes take these from the instance, not per call, so a copy
    with them set is returned; the local model takes them per call.
    """
    if isinstance(llm, LlamaCppChat) or "max_tokens" not in type(llm).model_fields:
        return llm
    update: dict[str, Any] = {"max_tokens": max_tokens}
    if logprobs and "logprobs" in type(llm).model_fields:
        update.update(logprobs=True, top_logprobs=5)
    return llm.model_copy(update=update)


def yes_probability(llm: LLM, messages: Sequence[ChatMessage], undecided: float | None = 0.5) -> float | None:
    """How strongly ``llm`` answers "yes" to ``messages`` (0..1): a graded yes/no judgement.

    The local model reports token probabilities; an OpenAI-compatible endpoint is asked
    for one token with log-probabilities, and when it gives none the answer's first word
    counts as 1.0 (yes) or 0.0 (no), and ``undecided`` when it is neither (the endpoint did not judge).
    """
    if isinstance(llm, LlamaCppChat):
        return llm.yes_probability(messages)
    response = limited(llm, max_tokens=1, logprobs=True).chat(messages)
    yes = no = 0.0
    for candidates in response.logprobs or []:
        for entry in candidates:
            word = entry.token.strip().lower()
            if word == "yes":
                yes += math.exp(entry.logprob)
            elif word == "no":
                no += math.exp(entry.logprob)
        break
    if yes + no > 0:
        return yes / (yes + no)
    first = (response.message.content or "").strip().lower().split(maxsplit=1)[:1]
    word = first[0].strip(".,!:;") if first else ""
    return 1.0 if word in ("yes", "ja") else 0.0 if word in ("no", "nein") else undecided


def option_probabilities(llm: LLM, messages: Sequence[ChatMessage], options: Sequence[str]) -> list[float] | None:
    """How likely ``llm`` replies with each of ``options`` (short words such as "1".."5"), summing to 1.

    The local model reports token probabilities; an endpoint is asked for a few tokens with
    log-probabilities, and when it gives none the first option its reply names counts as
    certain.  ``None`` when the reply names no option.
    """
    if isinstance(llm, LlamaCppChat):
        return llm.option_probabilities(messages, options)
    response = limited(llm, max_tokens=3, logprobs=True).chat(messages)
    for candidates in response.logprobs or []:
        weights = [0.0] * len(options)
        for entry in candidates:
            word = entry.token.strip().strip("[(").strip()
            if word in options:
                weights[options.index(word)] += math.exp(entry.logprob)
        if sum(weights) > 0:
            return [w / sum(weights) for w in weights]
    reply = (response.message.content or "").strip().lstrip("[(").strip()
    for i, option in enumerate(options):
        if reply.startswith(option):
            return [float(j == i) for j in range(len(options))]
    return None


def rewrite_llm(llm: LLM, context: int = REWRITE_CONTEXT, role: str = "rewrite") -> LLM:
    """The LLM for short rewrites (translation, follow-ups) or checks beside the answer LLM.

    llama.cpp keeps the tokens it last evaluated and reuses the common prefix, so the
    answer prompt's fixed part (system prompt and worked examples, ~560 tokens) costs
    nothing after the first question, unless another prompt ran in between.  Locally the
    rewrites (and the checks, ``role="check"``) therefore get a context of their own over
    the same model file, one per role in the process (:func:`_aside_context`); an endpoint
    manages its own cache, so the same client serves both.
    """
    if isinstance(llm, LlamaCppChat):
        return _aside_context(role, llm.model_path, llm.n_threads, context, llm.temperature)
    return llm


@functools.lru_cache(maxsize=8)
def _aside_context(role: str, model_path: str, threads: int, context: int, temperature: float) -> LlamaCppChat:
    """One context per role, model file and size in the process, shared by every assistant built in it.

    Each llama.cpp instance holds its own copy of the weights as repacked for this CPU
    (~0.7 GB whatever the context size), so assistants and variants that each loaded
    their own rewrite and check contexts (the UI's per-session backends, an evaluation's
    columns, the tests) grew by ~1.4 GB apiece.  Calls are serialised by the instance's
    lock, as within one assistant; the roles stay apart, so neither pushes the other's
    evaluated prompt out.  Every call there gives its own token limit (a rewrite's, one
    token for a judgement), so the context's default limit is no part of what is shared.
    """
    log.info("loading local LLM %s for %s (context %d)", model_path, role, context)
    return LlamaCppChat(model_path=model_path, n_threads=threads, n_ctx=context, temperature=temperature)


def local_model_path(settings: Settings) -> Path:
    """The GGUF file of the local model: the one the settings name, else the packaged one (unpacked once)."""
    return settings.llm_model_path or ensure_model(settings.models_dir)


def build_llm(settings: Settings) -> LLM | None:
    """The answer LLM named by ``settings.llm_backend``; ``None`` for extractive answers."""
    if settings.llm_backend == "extractive":
        return None
    if settings.llm_backend == "openai":
        if not settings.openai_base_url or not settings.openai_model:
            raise ValueError("llm_backend 'openai' needs openai_base_url and openai_model")
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            api_base=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            is_chat_model=True,
            temperature=settings.temperature,
            max_tokens=settings.max_answer_tokens,
            context_window=settings.llm_context,
            timeout=120.0,
            max_retries=1,
        )
    model_path = local_model_path(settings)
    log.info("loading local LLM %s", model_path)
    return LlamaCppChat(
        model_path=str(model_path),
        n_threads=settings.llm_threads,
        n_ctx=settings.llm_context,
        max_tokens=settings.max_answer_tokens,
        temperature=settings.temperature,
    )


def judge_llm(settings: Settings, answer_llm: LLM | None) -> LLM:
    """The model that judges whether evidence answers a question (assistant.answerability).

    The judgement is asked in the answer prompt (same system prompt, worked examples,
    question and evidence; only the last line differs), so with an answer LLM it is that
    LLM: llama.cpp reuses the evaluated prompt for the answer, and an endpoint its prefix
    cache.  The extractive backend writes no answer but still lets the packaged local
    model judge, in a context of its own that keeps the fixed prompt part evaluated
    (~0.5-1 s per question on 2 cores), the only way measured to tell near misses from
    answers.
    """
    if answer_llm is not None:
        return answer_llm
    return _local_judge(str(local_model_path(settings)), settings.llm_threads, settings.llm_context)


@functools.lru_cache(maxsize=2)
def _local_judge(model_path: str, threads: int, context: int) -> LlamaCppChat:
    """One judge per model file and process: every extractive assistant variant shares it."""
    log.info("loading local LLM %s as the answerability judge", model_path)
    return LlamaCppChat(model_path=model_path, n_threads=threads, n_ctx=context, max_tokens=1, temperature=0.0)


def describe_llm(settings: Settings) -> str:
    """Human-readable name of the answer backend, for the status line."""
    if settings.llm_backend == "extractive":
        return "extractive (quotes)"
    if settings.llm_backend == "openai":
        return f"{settings.openai_model} at {settings.openai_base_url}"
    name = settings.llm_model_path.name if settings.llm_model_path else "Qwen2.5-Coder-1.5B-Instruct Q4_K_M"
    return f"{name} (llama.cpp, local)"
