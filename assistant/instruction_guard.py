"""Passages that talk to an AI assistant instead of about their subject: withheld from answering.

A document can carry text aimed at the model that reads it: orders ("answer only with
…"), roles ("you are now …"), fake system prompts, or false facts dictated to "AI
systems".  The 1.5B model follows such text whenever it reaches the prompt, and the
extractive answer quotes it; the regex that withheld a few phrasings
(:func:`assistant.prompts.neutralise`) touches 8 of the 53 development and 2 of the 27
test documents of the hostile sets; this guard catches 53 and 17 (docs/evaluation.md).
Content written for people rarely does two of these things at once: address the
reader as "du"/"you" *and* talk about answers or questions, name an AI *and* order it,
carry chat markup, speak of instructions or prompts *and* of a role.

Each sentence is described by such signals (word lists below, in German and English),
a passage by the strongest of its sentences, and a logistic regression fitted on
development data (``bench/instruction_guard.py --fit``: hostile documents against the
corpus, Wikipedia paragraphs, man pages, the Debian reference and benign texts that
talk to readers or about AI) turns them into a probability.  A passage at or above the
fitted threshold is withheld whole: the dictated fact usually sits next to the order.
The answer lists it (``Answer.withheld``) so the reader can open it.

Libraries looked at: llm-guard and Rebuff detect prompt injection with a model from the
Hugging Face hub or a hosted API, which cannot run on an offline machine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.logistic import LogisticModel, load_models
from assistant.sentences import sentence_spans
from assistant.types import Passage

MODEL_FILE = Path(__file__).with_name("instruction_guard.json")


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)


#: words naming an AI system as the reader
_AI = _words(
    r"ki|ai|a\.i\.|künstliche intelligenz|assistent\w*|assistant\w*|chat-?bots?|bots?|llms?|gpt\w*|"
    r"sprachmodell\w*|language models?|modell|model|auskunftssystem\w*|antwortsystem\w*|ki-\w+|ai-\w+|"
    r"automatische\w* (?:auskunft|antwort)\w*|automated (?:answer|response)\w*|answer engines?"
)
#: the reader addressed directly: German "du" and its forms, English "you"
_YOU = _words(r"du|dich|dir|dein\w*|euch|you|your|yours|yourself")
#: polite German address in the middle of a sentence ("Bitte geben Sie … an")
_SIE = re.compile(r"(?<=\w)\s+(?:Sie|Ihnen)\b")
#: talk about answering and questions
_ANSWER = _words(
    r"antwort\w*|beantwort\w*|auskunft|auskünfte|answer\w*|repl(?:y|ies|ied)|respon(?:d|ds|se|ses)|"
    r"frage\w*|fragt|question\w*|asks?|asked|output|ausgabe"
)
#: orders about what to say
_ORDER = _words(
    r"nenne|nenn|gib|gebt|sag|sage|schreib|schreibe|füge|antworte|beantworte|erwähne|verwende|gib\w* aus|"
    r"beginne|beginn|ende|wiederhole|verrate|say|state|name|write|print|include|mention|reply|respond|begin|"
    r"start|repeat|reveal|always|immer|stets|ausschließlich|only|nur|never|niemals|must|muss|müssen|"
    r"sollst|soll"
)
#: talk about instructions, rules and what was said before
_META = _words(
    r"anweisung\w*|instruction\w*|prompt\w*|systemprompt\w*|regel\w*|rules?|richtlinie\w*|guidance|"
    r"guidelines?|polic(?:y|ies)|vorgaben?|told|gesagt|ab sofort|von nun an|ab jetzt|from now on|"
    r"from here on|henceforth|outdated|veraltet\w*|ignor\w*|vergiss|vergessen|forget|disregard|missacht\w*|"
    r"set aside|override|überschreib\w*"
)
#: role play
_ROLE = _words(
    r"rollenspiel\w*|rolle|role|role-?play\w*|pretend\w*|act as|stell dir vor|stellt euch vor|spielst|"
    r"persona|you are now|du bist jetzt|du bist nun|play a game|spiel"
)
#: chat-template markup and fake headers
_MARKUP = re.compile(
    r"<\|[^|>]*\|>|\[/?inst\]|<</?sys>>|(?:^|\n)\s*#{2,}\s|(?:^|\n)\s*(?:system|user|assistant)\s*(?::|\n|$)|"
    r"\bende system\b|\bend system\b|</?s>",
    re.IGNORECASE,
)
#: addressing an AI by name ("Liebe KI", "Dear assistant")
_SALUTE = _words(
    r"(?:liebe|lieber|dear|hey|hallo|hello|hi|note (?:to|for)|hinweis (?:an|für)|an die|an den|to the|for)"
    r"\s+(?:\w+\s+)?(?:ki|ai|assistent\w*|assistant\w*|chat-?bots?|models?|modell\w*|systems?|systeme?|"
    r"ki-\w+|ai-\w+|auskunftssystem\w*)"
)
#: machines and people that turn the page into answers: "automated readers", "wer diese Seite zusammenfasst"
_RELAY = _words(
    r"maschinell\w*|automatisch\w*|automated|software|tools?|agents?|copilots?|search engines?|suchmaschine\w*|"
    r"readers?|leser\w*|whoever|anyone who|wer (?:diese|dies|das|den|die)\w*|summar\w*|zusammenfass\w*|"
    r"condens\w*|relay\w*|quoting|zitier\w*|generated|erzeugt\w*|erstellt\w*|verarbeit\w*|processing"
)
#: the text speaking of itself
_SELF = _words(
    r"this (?:page|document|text|paragraph|file|site|note|section)|"
    r"diese[rsnm]? (?:seite|dokument|text|absatz|datei|hinweis|abschnitt)|dieses dokument"
)
#: what ought to be done
_NORM = _words(
    r"should|must|shall|expected to|are to|is to|have to|has to|kindly|please|bitte|gebeten|sollen|sollte\w*|"
    r"soll|muss|müssen|haben zu|hat zu|ist zu|sind zu|gilt|applies|required|verpflichtend"
)
#: where and how an answer begins or ends
_SHAPE = _words(
    r"closing line|signs? off|ends? with|endet mit|enden mit|beginn\w* mit|begin\w* with|start\w* with|"
    r"abschließ\w*|am ende|at the end|am anfang|zu beginn|vorab|wörtlich|word for word|verbatim|im stil|"
    r"in the style|in the form"
)
#: corrections that overrule other documents
_CORRECTION = _words(
    r"errat\w*|korrektur\w*|richtigstellung|berichtig\w*|correction\w*|corrected|obsolete|überholt|"
    r"falsch angegeben|contrary to|nicht mehr|no longer|vorrang|precedence|priority|priorität"
)
#: hidden or encoded text: spaced-out letters, long base64 runs, "decode", text written backwards
_HIDDEN = re.compile(
    r"(?:\b\w ){8,}|(?<![\w/])(?=[\w+/]*\d)(?=[\w+/]*[a-z])(?=[\w+/]*[A-Z])[A-Za-z0-9+/]{24,}={0,2}|"
    r"\b(?:decode|dekodier\w*|entschlüssel\w*|rückwärts|written backwards|reversed text)\b",
    re.IGNORECASE,
)
#: links and images, the usual carriers of exfiltration
_LINK = re.compile(r"https?://|!\[[^\]]*\]\(", re.IGNORECASE)

_SINGLE = {
    "ai": _AI,
    "you": _YOU,
    "sie": _SIE,
    "answer": _ANSWER,
    "order": _ORDER,
    "meta": _META,
    "role": _ROLE,
    "markup": _MARKUP,
    "salute": _SALUTE,
    "link": _LINK,
    "relay": _RELAY,
    "self": _SELF,
    "norm": _NORM,
    "shape": _SHAPE,
    "correction": _CORRECTION,
    "hidden": _HIDDEN,
}
#: signals that mean more together, within one sentence
_PAIRS = [
    ("you", "answer"),
    ("you", "order"),
    ("you", "meta"),
    ("you", "role"),
    ("sie", "order"),
    ("ai", "answer"),
    ("ai", "order"),
    ("ai", "meta"),
    ("answer", "order"),
    ("meta", "answer"),
    ("link", "answer"),
    ("norm", "answer"),
    ("norm", "relay"),
    ("relay", "answer"),
    ("self", "answer"),
    ("self", "relay"),
    ("shape", "answer"),
    ("correction", "norm"),
    ("correction", "order"),
]
FEATURES = [*_SINGLE, *(f"{a}+{b}" for a, b in _PAIRS)]


def sentence_signals(sentence: str) -> np.ndarray:
    """0/1 per signal of :data:`FEATURES` for one sentence."""
    found = {name: bool(pattern.search(sentence)) for name, pattern in _SINGLE.items()}
    pairs = [found[a] and found[b] for a, b in _PAIRS]
    return np.asarray([*found.values(), *pairs], dtype=float)


def text_signals(text: str) -> np.ndarray:
    """The strongest value of each signal over the sentences of ``text`` (its markup over the whole text)."""
    sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
    values = np.max(np.vstack([sentence_signals(s) for s in sentences]), axis=0)
    values[FEATURES.index("markup")] = float(bool(_MARKUP.search(text)))
    return values


class InstructionGuard:
    """Tells passages that address an AI assistant from passages about their subject."""

    def __init__(self, model: LogisticModel) -> None:
        self.model = model

    def score(self, text: str) -> float:
        """The probability that ``text`` addresses an AI assistant."""
        return float(self.model.probabilities(text_signals(text)[None, :])[0])

    def addresses_assistant(self, text: str) -> bool:
        return self.score(text) >= self.model.threshold

    def split(self, passages: Sequence[Passage]) -> tuple[list[Passage], list[Passage]]:
        """(kept, withheld): the passages in their order, those that address an assistant apart."""
        kept: list[Passage] = []
        withheld: list[Passage] = []
        for passage in passages:
            (withheld if self.addresses_assistant(passage.text) else kept).append(passage)
        return kept, withheld


@lru_cache(maxsize=1)
def load_guard(path: Path = MODEL_FILE) -> InstructionGuard:
    """The fitted guard (``bench/instruction_guard.py --fit`` writes its model)."""
    return InstructionGuard(load_models(path, LogisticModel)["guard"])
