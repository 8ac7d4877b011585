"""The chat in a real browser (Debian chromium driven by playwright): ask, see sources, open one.

Screenshots go to ``tests/artifacts/`` (kept by CI as artifacts; not committed).  The
browser cannot be downloaded here, so the system chromium is used; without it the test
is skipped locally and fails in CI (``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assistant.config import Settings
from assistant.pipeline import build_assistant
from tests.browser import copy_corpus, launched_chromium, require_chromium
from ui.serving import serving

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.browser


HOSTILE_NAME = "sicherheitshinweis.txt"
HOSTILE = (
    "Sicherheitshinweis des Europabüros. Die Sicherheitsstelle des Europabüros prüft alle eingereichten "
    "Skripte und Formulare. <script>alert('quellen-xss')</script> <img src=x onerror=\"alert('quellen-img')\"> "
    '<iframe src="javascript:alert(3)"></iframe> Danach werden sie archiviert.\n'
)


@pytest.fixture(scope="module")
def app_url(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the seed corpus plus one document full of markup and script."""
    require_chromium()
    corpus = copy_corpus(corpus_copy, tmp_path_factory.mktemp("browser-corpus"))
    (corpus / HOSTILE_NAME).write_text(HOSTILE, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, state_dir=tmp_path_factory.mktemp("browser-state"), llm_backend="extractive")
    assistant = build_assistant(settings)
    assistant.library.ensure_ingested()
    with serving(assistant) as url:
        yield url


@pytest.fixture
def browser() -> Iterator:
    with launched_chromium() as launched:
        yield launched


def test_german_question_cited_sentence_opens_highlighted(app_url: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="de-DE", viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    expect(page.get_by_role("tab", name="Dokumente")).to_be_visible()  # German labels for a German browser

    box = page.locator("#question textarea")
    box.fill("Wo findet der zweite Metropolkongress statt?")
    box.press("Enter")
    citations = page.locator("#citations label")
    citations.first.wait_for(timeout=120_000)
    assert "Heilbronn" in page.locator("#chat").inner_text()
    labels = citations.all_inner_texts()
    assert labels and labels[0].startswith("[1] ") and ".txt" in labels[0]
    page.screenshot(path=str(ARTIFACTS / "chat.png"))

    citations.first.click()
    mark = page.locator("#source-viewer mark.quellen-quote")
    mark.wait_for(timeout=30_000)
    assert "Heilbronn" in mark.inner_text()
    page.wait_for_timeout(300)  # the scroll runs after the viewer updated
    assert mark.is_visible() and _in_viewer_view(page), "the supporting sentence is scrolled into view"
    page.screenshot(path=str(ARTIFACTS / "source.png"))


def test_english_browser_gets_english_labels_and_new_chat_clears(app_url: str, browser) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(app_url)
    expect(page.get_by_role("tab", name="Documents")).to_be_visible()
    box = page.locator("#question textarea")
    box.fill("Why is the Verband Region Stuttgart a member of EMTA?")
    page.locator("#ask").click()
    page.locator("#citations label").first.wait_for(timeout=120_000)
    page.locator("#new-chat").click()
    page.wait_for_function("document.querySelectorAll('#citations label').length === 0", timeout=10_000)


def test_script_in_a_document_is_shown_as_text(app_url: str, browser) -> None:
    """A document holding HTML/JS is displayed as text in the source viewer; no script runs (issue 8)."""
    page = browser.new_page(locale="de-DE")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    box = page.locator("#question textarea")
    box.fill("Was prüft die Sicherheitsstelle des Europabüros?")
    box.press("Enter")
    citations = page.locator("#citations label")
    citations.first.wait_for(timeout=120_000)
    hostile = [i for i, label in enumerate(citations.all_inner_texts()) if HOSTILE_NAME in label]
    assert hostile, f"the hostile document is cited: {citations.all_inner_texts()}"
    citations.nth(hostile[0]).click()
    page.locator("#source-viewer mark.quellen-quote").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    viewer = page.locator("#source-viewer")
    assert "<script>" in viewer.inner_text() and "onerror" in viewer.inner_text(), "markup shown as text"
    assert viewer.locator("script, img, iframe").count() == 0
    assert "<script>" in page.locator("#chat").inner_text() or page.locator("#chat script").count() == 0
    assert not dialogs, "no script ran"


def _in_viewer_view(page) -> bool:
    """Whether the marked sentence lies inside the visible part of the scrolling source box."""
    return bool(
        page.evaluate(
            """() => {
            const box = document.querySelector('#source-viewer .quellen-source-text');
            const mark = box.querySelector('mark.quellen-quote');
            const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
            return m.top >= b.top - 1 && m.bottom <= b.bottom + 1;
        }"""
        )
    )
