"""Saved conversations, users, scope, the evaluation tab and the German page, in a real browser.

Two users log in through Gradio's own login form; everything else is what a German
member of staff does in the chat (issue 15).  Screenshots of the conversation list and
the evaluation tab go to docs/screenshots/ (they are the ones docs/ui.md shows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.config import PROJECT_ROOT, Settings
from assistant.pipeline import build_assistant
from assistant.users import UsersFile
from bench.scans import typeset_pdf
from tests.browser import copy_corpus, launched_chromium, require_chromium
from ui.serving import serving

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
USERS = {"anna": "anna-geheim-1", "ben": "ben-geheim-22"}
LONG_WAIT = 120_000
PDF_PAGES = [
    "Protokoll des Netzwerks Alpenraum. Der Haushalt 2022 betrug 135.500 Euro. Die Mitgliedsbeiträge "
    "wurden nicht erhöht. Der Vorstand legte den Bericht der Kassenprüfer vor, der keine Beanstandungen "
    "enthielt. Die Arbeitsgruppe Verkehr berichtete über den Stand der grenzüberschreitenden Buslinien.",
    "Die Jahressitzung des Netzwerks Alpenraum fand im Mai 2023 in Innsbruck statt. Weitere Angaben folgen.",
]


@pytest.fixture(scope="module")
def app_url(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    corpus = copy_corpus(corpus_copy, tmp_path_factory.mktemp("chats-corpus"))
    typeset_pdf(PDF_PAGES, corpus / "sitzung-alpenraum.pdf")
    state = tmp_path_factory.mktemp("chats-state")
    settings = Settings(corpus_dir=corpus, state_dir=state, llm_backend="extractive", reports_dir=state / "reports")
    for name, password in USERS.items():
        UsersFile(settings.users_path).add(name, password)
    assistant = build_assistant(settings)
    assistant.library.ensure_ingested()
    with serving(assistant) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with launched_chromium() as launched:
        yield launched


def logged_in(browser, url: str, user: str) -> Page:
    """A page of its own browser context (own cookies), logged in as ``user``, in German."""
    page = browser.new_context(locale="de-DE", viewport={"width": 1500, "height": 1100}).new_page()
    page.goto(url)
    page.locator("input[data-testid=textbox]").fill(user)
    page.locator("input[data-testid=password]").fill(USERS[user])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("tab", name="Dokumente")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)  # the page's load events (conversation list, documents) have run
    return page


def ask(page: Page, question: str) -> None:
    answers = page.locator("#chat [data-testid=bot]").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    # the streamed text is provisional (a check after the last token may replace it); the final
    # answer is rendered with its sources' locations as code
    page.wait_for_function(
        "n => { const bots = document.querySelectorAll('#chat [data-testid=bot]');"
        " return bots.length > n && bots[bots.length - 1].querySelector('code') !== null; }",
        arg=answers,
        timeout=LONG_WAIT,
    )
    page.locator("#citations label").first.wait_for(timeout=LONG_WAIT)
    page.wait_for_timeout(500)


def new_chat(page: Page) -> None:
    page.locator("#new-chat").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=bot]').length === 0", timeout=10_000)


def chat_titles(page: Page) -> list[str]:
    return page.locator("#chats label").all_inner_texts()


def test_a_conversation_survives_a_reload_and_its_citation_opens(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "anna")
    ask(page, "Wann fand der erste Metropolkongress statt?")
    ask(page, "Und wo findet der zweite statt?")
    assert any(title.startswith("Wann fand der erste Metropolkongress statt?") for title in chat_titles(page))

    page.reload()
    expect(page.locator("#chat")).to_contain_text("Heilbronn", timeout=30_000)
    expect(page.locator("#chat")).to_contain_text("Und wo findet der zweite statt?")
    page.locator("#chat [data-testid=bot]").last.click()
    page.locator("#citations label").first.wait_for(timeout=30_000)
    marked = []
    for label in page.locator("#citations label").all():
        label.click()
        page.wait_for_timeout(700)
        marked.append(page.locator("#source-viewer mark.quellen-quote").inner_text())
    assert any("Heilbronn" in text for text in marked), marked
    page.locator("#citations label").last.click()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "conversations.png"))

    # the follow-up after the reload still uses the conversation's history
    ask(page, "Wer veranstaltet ihn?")
    assert len(page.locator("#chat [data-testid=user]").all()) == 3


def test_two_users_see_only_their_own_conversations(app_url: str, browser) -> None:
    ben = logged_in(browser, app_url, "ben")
    ask(ben, "Was ist EMTA?")
    anna = logged_in(browser, app_url, "anna")
    assert not any("EMTA" in title for title in chat_titles(anna)), chat_titles(anna)
    assert any("EMTA" in title for title in chat_titles(ben))
    assert not any("Metropolkongress" in title for title in chat_titles(ben)), chat_titles(ben)
    assert "EMTA" not in anna.locator("#chat").inner_text()


def test_a_scoped_question_cites_only_the_chosen_document(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "ben")
    new_chat(page)
    scope = page.locator("#scope input")
    scope.click()
    scope.fill("presse")
    page.get_by_role("option", name="presseinformation-netzwerkkonferenz-2007.txt").click()
    page.keyboard.press("Escape")
    ask(page, "Wie viele Netzwerke trafen sich 2007 in Stuttgart?")
    labels = page.locator("#citations label").all_inner_texts()
    assert labels and all("presseinformation-netzwerkkonferenz-2007.txt" in label for label in labels), labels
    expect(page.locator("#chat")).to_contain_text("Gesucht nur in:")
    expect(page.locator("#status-line")).to_contain_text("nur ausgewählte Dokumente")


def test_the_evaluation_tab_runs_five_questions_and_shows_its_plot(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "anna")
    page.get_by_role("tab", name="Auswertung").click()
    limit = page.locator("#eval-limit input")
    limit.fill("5")
    limit.press("Tab")
    expect(page.locator("#eval-backends input[type=checkbox]").nth(1)).to_be_checked()  # extractive, as configured
    page.locator("#eval-start").click()
    expect(page.locator("#eval-progress")).to_contain_text("Fertig", timeout=600_000)
    expect(page.locator("#eval-summary")).to_contain_text("key facts")
    page.locator("#eval-plots img").first.wait_for(timeout=30_000)
    assert page.locator("#eval-reports input").input_value().endswith("-corpus")
    page.locator("#eval-start").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "evaluation.png"))
    with page.expect_download() as download:
        page.locator("#eval-download").click()
    assert download.value.suggested_filename.endswith(".zip")


def test_the_chat_as_a_german_user_lives_in_it(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "ben")
    new_chat(page)

    # bad input: one small German message, no error badges, the one limit as a counter
    page.locator("#export").click()
    expect(page.locator("#chat-notice")).to_contain_text("Noch nichts zu exportieren")
    box = page.locator("#question textarea")
    assert box.get_attribute("maxlength") == "2000"
    box.fill("   ")
    box.press("Enter")
    expect(page.locator("#chat-notice")).to_contain_text("Bitte eine Frage eingeben.")
    assert page.get_by_text("Fehler").count() == 0 and page.get_by_text("Error").count() == 0
    box.fill("Was ist EMTA")
    box.press_sequentially("?")
    expect(page.locator("#question-counter")).to_contain_text("13 / 2000 Zeichen")

    # the chat's trash icon clears everything: the next answer's citation opens its own source
    ask(page, "Wo findet der zweite Metropolkongress statt?")
    page.locator("#chat button[aria-label='Chat leeren']").click()
    page.wait_for_function("document.querySelectorAll('#citations label').length === 0", timeout=10_000)
    assert page.locator("#chat [data-testid=bot]").count() == 0
    ask(page, "Why is the Verband Region Stuttgart a member of EMTA?")
    page.locator("#chat [data-testid=bot]").last.click()
    page.locator("#citations label").first.click()
    page.locator("#source-viewer mark.quellen-quote").wait_for(timeout=30_000)
    assert "EMTA" in page.locator("#source-viewer").inner_text()
    assert "Metropolkongress" not in page.locator("#chat").inner_text()

    # a rating takes the comment with it and empties the box
    page.locator("#comment textarea").fill("genau richtig")
    page.locator("#chat button[aria-label='Gefällt mir']").last.click()
    expect(page.locator("#feedback-status")).to_contain_text("Danke")
    expect(page.locator("#comment textarea")).to_have_value("")

    # after clicking an earlier answer and scrolling up, a new answer is followed again
    for question in ("Was ist METREX?", "Was macht das Europabüro in Brüssel?"):
        ask(page, question)
    page.locator("#chat [data-testid=bot]").first.click()
    page.evaluate("() => document.querySelectorAll('#chat *').forEach(e => { e.scrollTop = 0; })")
    ask(page, "Was ist das IKM?")
    page.wait_for_timeout(800)
    assert page.evaluate(
        """() => [...document.querySelectorAll('#chat *')]
            .filter(e => e.scrollHeight > e.clientHeight + 4 && /auto|scroll/.test(getComputedStyle(e).overflowY))
            .every(e => e.scrollTop + e.clientHeight >= e.scrollHeight - 40)"""
    ), "the chat shows the newest answer"

    # renaming and deleting (with a question first)
    page.locator("#chat-title textarea, #chat-title input").first.fill("EMTA und METREX")
    page.locator("#rename-chat").click()
    expect(page.locator("#chats")).to_contain_text("EMTA und METREX")
    page.locator("#delete-chat").click()
    expect(page.locator("#confirm-delete-chat")).to_be_visible()
    page.locator("#yes-delete-chat").click()
    expect(page.locator("#chat-notice")).to_contain_text("Gespräch gelöscht.")
    assert not any("EMTA und METREX" in title for title in chat_titles(page))


def test_a_refusal_lists_the_closest_passages_as_in_the_viewer(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "anna")
    new_chat(page)
    ask(page, "Wie hoch ist der Eiffelturm in Paris?")
    labels = page.locator("#citations label").all_inner_texts()
    assert [label[:3] for label in labels] == [f"({n})" for n in range(1, len(labels) + 1)], labels
    expect(page.locator("#chat")).to_contain_text("Nächstliegende Textstellen")
    page.locator("#citations label").first.click()
    head = page.locator("#source-viewer .quellen-source-head")
    head.wait_for(timeout=30_000)
    assert head.inner_text().startswith("(1)")
    assert page.locator("#source-viewer mark.quellen-quote").count() == 0, "nothing was quoted"
    assert page.locator("#source-viewer .quellen-passage").count() == 1


def test_settings_and_documents_speak_the_users_language(app_url: str, browser, tmp_path: Path) -> None:
    page = logged_in(browser, app_url, "anna")
    status = page.locator("#status-line")
    expect(status).to_contain_text("Antworten: wörtliche Zitate")
    assert "/" not in status.inner_text() and "extractive" not in status.inner_text()
    page.get_by_role("tab", name="Einstellungen").click()
    expect(page.locator("#model")).to_be_hidden()
    page.locator("#backend input").click()
    page.get_by_role("option", name=re.compile("Sprachmodell auf diesem Rechner")).click()
    expect(status).to_contain_text("Antworten: Sprachmodell (lokal)")

    page.get_by_role("tab", name="Dokumente").click()
    table = page.locator("#documents")
    expect(table).to_contain_text("Aufgenommen")
    assert re.search(r"\d\d\.\d\d\.20\d\d, \d\d:\d\d", table.inner_text()), "local times, German format"
    assert "T" not in re.findall(r"20\d\d\S*", table.inner_text())[0], "no raw ISO stamps"
    note = tmp_path / "kurznotiz.txt"
    note.write_text("Die Kurznotiz nennt das Netzwerk Bodensee mit acht Mitgliedern.", encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(note))
    page.locator("#add-files").click()
    expect(page.locator("#upload-status")).to_contain_text("1 neu", timeout=LONG_WAIT)
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="kurznotiz.txt").click()
    page.locator("#remove").click()
    expect(page.locator("#remove-status")).to_contain_text("aus dem Index entfernen?")
    page.locator("#really-remove").click()
    expect(page.locator("#remove-status")).to_contain_text("kurznotiz.txt entfernt. Die Datei ist aufbewahrt")
    assert "/" not in page.locator("#remove-status").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "documents.png"))


def test_a_cited_pdf_page_is_shown_as_printed_with_the_sentence_highlighted(app_url: str, browser) -> None:
    page = logged_in(browser, app_url, "ben")
    new_chat(page)
    ask(page, "Wo fand die Jahressitzung des Netzwerks Alpenraum statt?")
    labels = page.locator("#citations label").all_inner_texts()
    pdf = [i for i, label in enumerate(labels) if "sitzung-alpenraum.pdf" in label]
    assert pdf and "S. " in labels[pdf[0]], labels
    page.locator("#citations label").nth(pdf[0]).click()
    image = page.locator("#page-view img.quellen-page")
    image.wait_for(timeout=30_000)
    expect(page.locator("#page-view")).to_contain_text("Seite 2 von sitzung-alpenraum.pdf")
    assert image.evaluate("img => img.naturalWidth") > 800
    assert "Innsbruck" in page.locator("#source-viewer mark.quellen-quote").inner_text()
    image.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "pdf-page.png"))
