"""The one configuration object of quellen.

CLI, UI, eval and tests all build a :class:`Settings` and hand it to
:func:`assistant.pipeline.build_assistant`.  Values come, in rising priority, from the
defaults below, a TOML file (``quellen.toml`` in the working directory, or the file
named by ``QUELLEN_CONFIG``), environment variables ``QUELLEN_<FIELD>`` and explicit
keyword arguments (CLI flags).  Scale-out is configuration only: set ``chroma_url`` for
a Chroma server and ``llm_backend="openai"`` plus ``openai_base_url`` for any
OpenAI-compatible endpoint.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

#: Repository root: defaults are relative to it so the commands work from any folder.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

LlmBackend = Literal["local", "openai", "extractive"]

#: Refusal thresholds per embedder, measured on the seed corpus (17 answerable and 10
#: off-topic questions, chunks of 300 characters): the best off-topic passage scored at
#: most 0.199 (USE) / 0.864 (e5), the best answerable one at least 0.253 / 0.817.
#: Cosine scales differ a lot between models, hence one value per model.
MIN_SCORE_BY_EMBEDDER = {"use-multilingual": 0.22, "e5-small-nano": 0.80}
DEFAULT_MIN_SCORE = 0.3


def _default_state_dir() -> Path:
    return PROJECT_ROOT / ".quellen"


#: the bench that writes each fitted file a setting may name
_FITTED_BY = {
    "answerability_file": "bench/answerability.py --fit",
    "statement_check_file": "bench/verifier.py --signals --fit",
    "evidence_weights_file": "bench/evidence_weights.py --fit",
}


class Settings(BaseSettings):
    """Everything that changes how quellen ingests, retrieves and answers."""

    model_config = SettingsConfigDict(env_prefix="QUELLEN_", extra="forbid", validate_assignment=True)

    # --- documents and vector store ---
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder whose documents are ingested.")
    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Run-time state: the embedded Chroma database, saved conversations, users, feedback.",
    )
    chroma_url: str | None = Field(None, description="http://HOST:PORT of a Chroma server; unset = embedded.")
    collection: str = Field("quellen", description="Chroma collection name.")

    # --- embeddings and splitting ---
    embedder: str = Field(
        "use-multilingual",
        description="use-multilingual, e5-small-nano, or a sentence-transformers folder or hub id.",
    )
    embed_threads: int = Field(
        1,
        ge=1,
        description="CPU threads of the embedder; 1 because with 2 it slows down badly while the LLM generates.",
    )
    max_document_mb: float = Field(
        20.0,
        gt=0,
        description="Larger files are skipped with a message at ingest (a 50 MB text would take ~40 min to embed "
        "here); raise it to index them anyway.",
    )
    embed_batch_threads: int = Field(
        2,
        ge=1,
        description="CPU threads of the embedder for batches of passages (ingest, answer checks): measured faster "
        "with 2 (docs/performance.md).",
    )
    chunk_size: int = Field(300, ge=50, description="Target chunk length in characters.")
    chunk_overlap: int = Field(60, ge=0, description="Overlap between neighbouring chunks in characters.")

    # --- retrieval ---
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer.")
    retrieval_mode: Literal["dense", "bm25", "hybrid"] = Field(
        "hybrid",
        description="dense (embeddings), bm25 (stemmed words) or hybrid (dense, with the last of the top_k "
        "places given to the best BM25 passage the dense ranking missed).",
    )
    language_filter: Literal["de", "en"] | None = Field(
        None, description="Search only chunks in this language (detected at ingest); unset = all."
    )
    sources: tuple[str, ...] = Field(
        (),
        description="Answer only from these documents: glob patterns over the indexed source names "
        "(berichte/*.pdf, *metropol*); a name without wildcards also means a folder. Empty = every document. "
        "Combines with language_filter.",
    )
    followup_rewrite: Literal["llm", "rules"] = Field(
        "llm",
        description="How follow-up questions become searchable: llm (the answer LLM rewrites them into a "
        "standalone question; with extractive answers the judge's model does, unless answerability is off: then "
        "rules) or rules (the previous question is prepended).",
    )
    followup_answers: bool = Field(
        True,
        description="The LLM rewriting a follow-up also reads what the last answer said (its model-written "
        "sentences, else its quotes; 300 characters): 'that network' or 'er' often names what only the answer said.",
    )
    translate_query: bool = Field(
        True,
        description="Also search with the question translated into the other language (German <-> English) "
        "by the answer LLM, fusing dense and BM25 by reciprocal rank; with extractive answers by the packaged "
        "model the answerability judge loads anyway (not with answerability off). Costs one short generation "
        "(~1 s locally) per question.",
    )
    translate_skip_score: float | None = Field(
        0.7,
        description="Skip the translation when the best evidence sentence of the first (untranslated) search "
        "scores at least this (evidence score: cosine + word overlap + answer type); unset = always translate. "
        "Measured on the development questions: no loss, about a third of the questions answer ~1 s sooner.",
    )
    reranker: Literal["none", "llm"] = Field(
        "none",
        description="none, or llm: the answer LLM judges the first rerank_candidates passages (yes/no "
        "probability) and reorders them; ignored without an LLM.",
    )
    rerank_candidates: int = Field(10, ge=2, le=50, description="Passages the reranker judges.")
    min_score: float | None = Field(
        None,
        description="Cosine similarity below which a passage counts as not relevant: the first search leaves the "
        'decision to the translated one, after which the answerability gate decides; with answerability = "off" '
        "(or no translated search) a question with no passage above it is refused. Unset = the measured default "
        "of the embedder (see MIN_SCORE_BY_EMBEDDER).",
    )

    # --- answering ---
    pipeline: Literal["evidence", "passages"] = Field(
        "evidence",
        description="evidence: the best few sentences of the passages go to the answerer, the best one is shown "
        "at once as a quote; passages: five whole passages to the answerer (the pipeline before, kept to compare).",
    )
    answerability: Literal["judge", "search", "off"] = Field(
        "judge",
        description="judge: refuse when a model fitted on the development questions finds that the evidence does "
        "not state the answer, from search signals and the LLM's yes/no judgement (the extractive backend "
        "loads the packaged local model for it, and lets it translate: ~3 s per question); search: the same "
        "from the search signals alone (no model call, weaker); off: only the relevance threshold refuses.",
    )
    answer_check: bool = Field(
        True,
        description="Check the finished answer against its quoted sources and refuse it when they do not show "
        "it (a logistic regression over the model's yes/no and the answerability gate's probability, "
        "assistant/answer_check.json; one short prompt after the answer, ~2 s locally). Extractive answers: "
        "their quote is judged as the answer, by a check fitted on quotes (needs the judge's model). "
        "False: the answer stands.",
    )
    judge_during_answer: bool = Field(
        True,
        description="With the local LLM, ask the answerability judgement right after the answer's first token "
        "rather than before it (the same judgement and decision; a refusal then replaces the token shown): the "
        "first token comes ~0.4 s earlier. False: judge before answering (the order before; OpenAI-compatible "
        "endpoints and the extractive backend always do).",
    )
    answerability_file: Path | None = Field(
        None,
        description="The fitted gate models (JSON written by bench/answerability.py --fit --out FILE, e.g. fitted "
        "on questions about your own documents); unset = the packaged assistant/answerability.json.",
    )
    instruction_guard: bool = Field(
        True,
        description="Withhold found passages that address an AI assistant (orders, roles, answers dictated to "
        "'AI systems'; assistant/instruction_guard.py) from the evidence and the answer; the answer lists them.",
    )
    citation_check: Literal["fitted", "cosine"] = Field(
        "fitted",
        description="fitted: an answer sentence counts as supported when a model fitted on labelled sentences "
        "says so (support cosine, the LLM's yes/no judgement in a context of its own, new words, missing "
        "names; assistant/statement_check.py; one short prompt per sentence); cosine: when one evidence "
        "sentence reaches the support cosine (the check before, weaker on sentences that reuse the evidence's "
        "words).",
    )
    statement_check_file: Path | None = Field(
        None,
        description="The fitted citation check (JSON in the form bench/verifier.py --signals --fit writes, e.g. "
        "fitted on sentences labelled from your own documents); unset = the packaged assistant/statement_check.json.",
    )
    evidence_sentences: int = Field(5, ge=1, le=20, description="Evidence items (sentences) the answerer reads.")
    evidence_weights_file: Path | None = Field(
        None,
        description="How the evidence sentences are scored (JSON written by bench/evidence_weights.py --fit "
        "--out FILE); unset = the packaged assistant/evidence_weights.json.",
    )
    evidence_neighbours: int = Field(
        0,
        ge=0,
        le=5,
        description="Sentences on each side of a retrieved passage that are evidence candidates too (a chunk "
        "that names the subject is often followed by the sentence that answers without naming it).",
    )
    llm_backend: LlmBackend = Field("local", description="local (llama.cpp), openai (compatible API) or extractive")
    llm_model_path: Path | None = Field(None, description="GGUF file; unset = the packaged Qwen2.5 1.5B.")
    llm_threads: int = Field(2, ge=1, description="CPU threads of the local LLM.")
    llm_context: int = Field(4096, ge=512, description="Context window of the local LLM in tokens.")
    max_answer_tokens: int = Field(384, ge=16, description="Upper bound on generated answer length.")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    openai_base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, ...).")
    openai_model: str | None = Field(None, description="Model name the endpoint serves.")
    openai_api_key: str = Field("not-needed", description="API key for the endpoint, if it wants one.")

    # --- saved conversations and users ---
    keep_conversations: bool = Field(
        True,
        description="Store every exchange (answer, citations, settings, rating) so a reload or restart loses "
        "nothing; off = the chat forgets a conversation when the page is closed.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database that keeps conversations (e.g. "
        "postgresql+psycopg://user:pw@host/quellen); unset = SQLite file conversations.db in state_dir.",
    )

    # --- evaluation ---
    reports_dir: Path = Field(
        PROJECT_ROOT / "eval" / "reports", description="Where evaluation reports are written and listed."
    )
    xquad_dir: Path | None = Field(
        None,
        description="XQuAD folder (xquad*.de.json, xquad*.en.json): offers the xquad suite in the UI's evaluation tab.",
    )
    squad2_dir: Path | None = Field(
        None, description="SQuAD 2.0 folder (one .json): offers the squad2 suite in the UI's evaluation tab."
    )

    # --- UI ---
    host: str = Field("127.0.0.1", description="Address the chat UI binds to.")
    port: int = Field(7860, ge=1, le=65535)
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the UI accepts for upload, in MB.")
    timezone: str = Field(
        "Europe/Berlin", description="Time zone of the times the UI shows (document list, conversations)."
    )
    auth: str | None = Field(
        None,
        description="user:password for the chat UI (Gradio login); set it before binding to anything but 127.0.0.1.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin, UTC)") from None
        return value

    @field_validator("answerability_file", "statement_check_file", "evidence_weights_file")
    @classmethod
    def _fitted_file_exists(cls, value: Path | None, info: Any) -> Path | None:
        """A fitted file that is named must be there: answering without it would silently use another."""
        if value is not None and not value.is_file():
            writer = _FITTED_BY[info.field_name]
            raise ValueError(f"{info.field_name}: no such file {value} (write one with {writer})")
        return value

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: Any) -> int:
        size = info.data.get("chunk_size", 300)
        if value >= size:
            raise ValueError(f"chunk_overlap ({value}) must be smaller than chunk_size ({size})")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("QUELLEN_CONFIG", "quellen.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def relevance_threshold(self) -> float:
        """``min_score``, or the measured default for the configured embedder."""
        if self.min_score is not None:
            return self.min_score
        return MIN_SCORE_BY_EMBEDDER.get(self.embedder, DEFAULT_MIN_SCORE)

    @property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma database."""
        return self.state_dir / "chroma"

    @property
    def feedback_path(self) -> Path:
        """JSON lines of the users' thumbs up/down (``quellen eval --from-feedback`` reads them)."""
        return self.state_dir / "feedback.jsonl"

    @property
    def conversations_url(self) -> str:
        """``database_url``, or the SQLite file in ``state_dir``."""
        return self.database_url or f"sqlite:///{self.state_dir / 'conversations.db'}"

    @property
    def users_path(self) -> Path:
        """The users file (``quellen users add``): with a user in it, the chat asks for a login."""
        return self.state_dir / "users.json"

    @property
    def api_keys_path(self) -> Path:
        """Keys for the HTTP API (``quellen keys add``); needed when the chat asks for a login."""
        return self.state_dir / "api_keys.json"

    @property
    def login_required(self) -> bool:
        """Whether the chat asks for a login (``auth`` or a user in the users file), and the API for a key."""
        from assistant.users import UsersFile

        return bool(self.auth) or bool(UsersFile(self.users_path).names())

    @property
    def removed_dir(self) -> Path:
        """Where documents removed in the UI are moved to (never deleted)."""
        return self.state_dir / "removed"

    @property
    def models_dir(self) -> Path:
        """Where model files assembled from packages are kept (never committed)."""
        return Path(os.environ.get("QUELLEN_MODELS_DIR", str(Path.home() / ".cache" / "quellen" / "models")))
