"""The one place where quellen's pipeline is built, and the API every client uses.

CLI, Gradio UI, evaluation and tests all call :func:`build_assistant` with a
:class:`~assistant.config.Settings` and then talk to the returned :class:`Assistant`;
none of them assembles retrieval or answering on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM

from assistant.answering import evidence_messages
from assistant.cleaning import MAX_QUESTION_CHARS, InvalidQuestionError, clean_question
from assistant.config import Settings
from assistant.embeddings import load_embedder
from assistant.followup import adds_context, leans_on, standalone_query
from assistant.library import Library
from assistant.llm import build_llm, describe_llm, judge_llm, prefill, rewrite_llm
from assistant.parts import PartwisePipeline
from assistant.query_transform import QueryRewriter
from assistant.question_pipeline import QuestionPipeline, build_question_pipeline, build_search_pipeline
from assistant.rerank import LlmJudgeReranker
from assistant.retrieval import HybridRetriever
from assistant.statement_check import CHECK_CONTEXT
from assistant.store import Store
from assistant.types import Answer, Passage, StreamEvent, Turn, as_turns

log = logging.getLogger(__name__)

#: settings a user may change per session (UI settings panel); the index ones stay fixed
SESSION_OPTIONS = (
    "llm_backend",
    "openai_model",
    "top_k",
    "language_filter",
    "sources",
    "reranker",
    "translate_query",
)


@dataclass(frozen=True)
class Status:
    embedder: str
    answer_backend: str
    documents: int
    chunks: int
    store: str
    retrieval: str = "hybrid"

    def line(self) -> str:
        return (
            f"Embedder: {self.embedder} · Search: {self.retrieval} · Answers: {self.answer_backend} · "
            f"{self.documents} documents, {self.chunks} chunks · Store: {self.store}"
        )


class Assistant:
    """Retrieve passages and answer questions with citations, over the documents of its ``library``."""

    def __init__(
        self, settings: Settings, embedder: BaseEmbedding, store: Store, library: Library | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = HybridRetriever(store, embedder, settings.retrieval_mode, top_k=settings.top_k)
        #: the documents and their index; every variant shares this one (and its ingest lock)
        self.library = library or Library(settings, store, embedder)
        #: set by ``variant``: the assistant whose LLM this one shares
        self._llm_owner: Assistant | None = None
        self._options: dict[tuple, Assistant] = {}
        self._options_lock = threading.Lock()
        #: stages of the question pipeline this variant leaves out (see ``without_stages``)
        self.dropped_stages: tuple[str, ...] = ()

    def variant(self, **overrides: object) -> Assistant:
        """The same index, embedder and LLM with some settings changed (eval compares variants side by side).

        The changed settings are validated like any others (a gate file that does not
        exist is refused here, with the setting's own message), so no caller checks them twice.
        """
        settings = type(self.settings).model_validate({**self.settings.model_dump(), **overrides})
        store_fields = ("chroma_url", "state_dir", "collection", "embedder", "embed_threads", "embed_batch_threads")
        if any(getattr(settings, k) != getattr(self.settings, k) for k in store_fields):
            raise ValueError(f"a variant shares the index; build a new assistant to change {', '.join(store_fields)}")
        llm_fields = ("llm_backend", "llm_model_path", "openai_base_url", "openai_model")
        variant = Assistant(settings, self.embedder, self.store, self.library)
        if all(getattr(settings, k) == getattr(self.settings, k) for k in llm_fields):
            variant._llm_owner = self  # the same LLM, loaded once, when either needs it
        return variant

    def without_stages(self, *names: str) -> Assistant:
        """This assistant with stages of its question pipeline left out (an evaluation's baseline column).

        With no names it is this assistant itself, so a variant name without ``drop-`` options
        needs no case of its own.
        """
        if not names:
            return self
        stages = self.question_pipeline.names
        unknown = [name for name in names if name not in stages]
        if unknown:
            raise ValueError(f"no stage {', '.join(unknown)} in the question pipeline ({', '.join(stages)})")
        variant = self.variant()
        variant.question_pipeline = variant.question_pipeline.without(*names)
        variant.dropped_stages = self.dropped_stages + tuple(names)
        return variant

    def with_options(self, **options: object) -> Assistant:
        """This assistant with session options changed (see ``SESSION_OPTIONS``), built once per combination.

        The UI's settings panel calls this per question, so changes apply without a
        restart, and a combination already used costs nothing (its LLM stays loaded).
        """
        unknown = set(options) - set(SESSION_OPTIONS)
        if unknown:
            raise ValueError(f"not a session option: {', '.join(sorted(unknown))}")
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
        changed = {k: v for k, v in options.items() if getattr(self.settings, k) != v}
        if not changed:
            return self
        key = tuple(sorted(changed.items()))
        with self._options_lock:
            if key not in self._options:
                self._options[key] = self.variant(**changed)
            return self._options[key]

    def answer_backends(self) -> list[str]:
        """Answer backends a session may switch to: the configured one, extractive, and openai when set up."""
        choices = [self.settings.llm_backend, "extractive"]
        if self.settings.openai_base_url and self.settings.openai_model:
            choices.append("openai")
        if self.settings.llm_backend != "openai" or self.settings.llm_model_path is None:
            choices.append("local")
        return list(dict.fromkeys(choices))

    @cached_property
    def llm(self) -> LLM | None:
        """The answer LLM, loaded on first use (seconds and ~2 GB that pure retrieval does not need)."""
        return self._llm_owner.llm if self._llm_owner is not None else build_llm(self.settings)

    @cached_property
    def question_pipeline(self) -> QuestionPipeline | PartwisePipeline:
        """The stages a question goes through with these settings (see assistant.question_pipeline)."""
        return build_question_pipeline(self)

    @cached_property
    def rewriter(self) -> QueryRewriter | None:
        """Follow-up and translation rewrites; locally in a context of their own, so the answer
        context keeps its fixed prompt evaluated between questions."""
        if self._llm_owner is not None:
            return self._llm_owner.rewriter
        if self.llm is not None:
            return QueryRewriter(rewrite_llm(self.llm))
        if self.llm_features:  # extractive answers: the judge's model is loaded anyway
            return QueryRewriter(rewrite_llm(self.judge))
        return None

    @cached_property
    def judge(self) -> LLM:
        """The model that judges whether the evidence answers (assistant.answerability), loaded on first use.

        The answer LLM itself when there is one: the judgement is asked in the answer
        prompt, so the answer reuses what the judgement evaluated (assistant.llm.judge_llm).
        """
        if self._llm_owner is not None:
            return self._llm_owner.judge
        return judge_llm(self.settings, self.llm)

    @cached_property
    def checker(self) -> LLM:
        """The model that judges answer sentences for the citation check (assistant.statement_check).

        Locally a context of its own over the answer model's weights, so neither the answer
        prompt's nor the translation's evaluated prefix is pushed out after each answer.
        """
        if self._llm_owner is not None:
            return self._llm_owner.checker
        llm = self.llm if self.llm is not None else self.judge
        return rewrite_llm(llm, context=CHECK_CONTEXT, role="check")

    @cached_property
    def reranker(self) -> LlmJudgeReranker | None:
        if self.settings.reranker == "none" or self.llm is None:
            return None
        return LlmJudgeReranker(self.llm, self.settings.rerank_candidates)

    def warm_up(self) -> threading.Thread:
        """Prepare, in a background thread, what the first question would otherwise wait for.

        The chat and the HTTP server call it at start, so their first user does not wait
        for the BM25 index (20 s at 61,000 chunks), the local model's loading, or the
        evaluation of the fixed prompt parts (system prompts and worked examples) in the
        answer and translation contexts (bench/answer_latency.py measures the first question
        with and without).  A question asked meanwhile waits for the same work rather than
        repeating it.
        """
        thread = threading.Thread(target=self._warm_up, name="quellen-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm_up(self) -> None:
        self.retriever.warm_up()
        if self.llm_features and self.settings.llm_backend != "openai":
            prefill(self.judge, evidence_messages("", "de", []))  # the answer LLM when there is one
            if self.rewriter is not None:
                self.rewriter.prefill()

    # --- questions ---
    def retrieve(self, question: str, k: int | None = None, history: Sequence[str | Turn] = ()) -> list[Passage]:
        """Passages for ``question``; ``history`` (earlier turns or questions, oldest first) resolves follow-ups."""
        return build_search_pipeline(self, k or self.settings.top_k).passages(question, history)

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        """The question to search and answer with: follow-ups rewritten by the LLM, or by rules.

        The rewrite reads the last answer too; when that rewrite names nothing from the
        conversation, the questions alone are tried (as before answers were passed), then the rules.
        """
        questions = [turn.question for turn in history]
        if self.settings.followup_rewrite == "llm" and self.llm_features and self.rewriter is not None:
            if not leans_on(question, history):
                return question
            attempts = [as_turns(questions)]
            if self.settings.followup_answers and any(turn.answer for turn in history):
                attempts.insert(0, history)
            earlier = [*questions, *(turn.answer for turn in history)]
            for turns in attempts:
                rewritten = self.rewriter.standalone(question, turns)
                if adds_context(rewritten, question, earlier):
                    return rewritten
            # no rewrite named anything from the conversation: the earlier question goes along instead
        return standalone_query(question, questions, joined=bool(history) and history[-1].joined)

    @property
    def llm_features(self) -> bool:
        """Whether the search may use a model (translation, follow-up rewrites).

        With an answer LLM always; with extractive answers when the answerability judge
        loads the packaged model anyway (``answerability="judge"``, the default): its
        translation lets a German question find its English sentence to quote.
        """
        return self.settings.llm_backend != "extractive" or self.settings.answerability == "judge"

    def ask_stream(self, question: str, history: Sequence[str | Turn] = ()) -> Iterator[StreamEvent]:
        """The quote, then tokens as they are generated, then one final :class:`Answer`.

        ``history`` holds the conversation's earlier turns, oldest first: :class:`Turn` (question
        and answer) or a plain question.  A follow-up is rewritten with the answers too.
        """
        return self.question_pipeline.stream(question, history)

    def ask(self, question: str, history: Sequence[str | Turn] = ()) -> Answer:
        answer: Answer | None = None
        for event in self.ask_stream(question, history):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None, "the pipeline always ends with an Answer"
        return answer

    # --- status ---
    @property
    def answerer_name(self) -> str:
        return describe_llm(self.settings)

    @property
    def answer_label(self) -> str:
        """The backend's name, and every answer option that is not the default (eval columns must differ)."""
        changed = [] if self.settings.pipeline == "evidence" else [self.settings.pipeline]
        if self.settings.answerability != "judge":
            changed.append("no gate" if self.settings.answerability == "off" else f"{self.settings.answerability} gate")
        if self.settings.answerability_file is not None:
            changed.append(f"gate {self.settings.answerability_file.stem}")
        if self.settings.statement_check_file is not None:
            changed.append(f"check {self.settings.statement_check_file.stem}")
        if self.settings.evidence_weights_file is not None:
            changed.append(f"evidence weights {self.settings.evidence_weights_file.stem}")
        if self.settings.min_score is not None:
            changed.append(f"min score {self.settings.min_score:g}")
        if not self.settings.translate_query:
            changed.append("no translation")
        if not self.settings.instruction_guard:
            changed.append("no guard")
        if self.settings.citation_check != "fitted":
            changed.append(f"{self.settings.citation_check} check")
        if not self.settings.followup_answers:
            changed.append("follow-ups from questions only")
        if not self.settings.answer_check:
            changed.append("no answer check")
        if not self.settings.judge_during_answer:
            changed.append("judge first")
        changed += [f"without {name}" for name in self.dropped_stages]
        return f"{self.answerer_name} [{', '.join(changed)}]" if changed else self.answerer_name

    def status(self) -> Status:
        store = self.settings.chroma_url or str(self.settings.chroma_path)
        return Status(
            embedder=self.settings.embedder,
            answer_backend=self.answerer_name,
            documents=len(self.store.list_sources()),
            chunks=self.store.count(),
            store=store,
            retrieval=self.retrieval_description(),
        )

    def retrieval_description(self) -> str:
        """What retrieval actually does with these settings, e.g. "hybrid + translation + LLM rerank"."""
        sources = ", ".join(self.settings.sources)
        words = {"rerank": "LLM rerank", "follow-ups": "LLM follow-ups", "scoped": f"only {sources}"}
        steps = [words.get(step, step.replace("_", " ")) for step in self.search_steps()]
        return " + ".join(steps)

    def search_steps(self) -> list[str]:
        """The search's steps with these settings, as keys: the mode ("hybrid"), "translation",
        "rerank", "follow-ups", "only_de"/"only_en", "scoped".

        The one place that knows which steps the settings switch on; the status line and
        ``quellen status`` only put them into words.
        """
        settings = self.settings
        steps = [settings.retrieval_mode]
        if self.llm_features:
            if settings.translate_query:
                steps.append("translation")
            if settings.reranker == "llm" and settings.llm_backend != "extractive":
                steps.append("rerank")
            if settings.followup_rewrite == "llm":
                steps.append("follow-ups")
        if settings.language_filter:
            steps.append(f"only_{settings.language_filter}")
        if settings.sources:
            steps.append("scoped")
        return steps


def build_assistant(settings: Settings | None = None) -> Assistant:
    """Build the pipeline from ``settings`` (default: file, environment and defaults)."""
    settings = settings or Settings()
    embedder = load_embedder(settings.embedder, settings.embed_threads, settings.embed_batch_threads)
    store = Store(settings, embedder_name=settings.embedder)
    return Assistant(settings, embedder, store)


__all__ = ["MAX_QUESTION_CHARS", "Assistant", "InvalidQuestionError", "build_assistant", "clean_question"]
