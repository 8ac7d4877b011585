"""``quellen serve``: the REST API with httpx (SSE included) and the OpenAI endpoint with the official client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from openai import NotFoundError, OpenAI

from assistant.pipeline import Assistant
from ui.serving import serving_api

QUESTION = "Wo findet der zweite Metropolkongress statt?"


@pytest.fixture(scope="module")
def base(assistant: Assistant) -> Iterator[str]:
    with serving_api(assistant.variant()) as url:
        yield url


def test_rest_ask_answers_in_the_public_shape(base: str) -> None:
    answer = httpx.post(f"{base}/api/ask", json={"question": QUESTION}, timeout=120).json()
    assert "Heilbronn" in answer["answer"] and answer["language"] == "de"
    assert answer["citations"][0]["source"] == "europaeische-metropolregion-stuttgart.txt"
    assert "Heilbronn" in answer["citations"][0]["quote"]["text"]
    scoped = httpx.post(f"{base}/api/ask", json={"question": "Was ist EMTA?", "sources": ["presse*"]}, timeout=120)
    assert scoped.json()["scope"] == ["presse*"]
    passages = httpx.post(f"{base}/api/retrieve", json={"question": QUESTION, "k": 3}, timeout=60).json()
    assert [p["n"] for p in passages] == [1, 2, 3] and "Heilbronn" in passages[0]["text"]
    status = httpx.get(f"{base}/api/status", timeout=30).json()
    assert status["documents"] == 5 and status["chunks"] > 50
    documents = httpx.get(f"{base}/api/documents", timeout=30).json()
    assert "presseinformation-netzwerkkonferenz-2007.txt" in {d["source"] for d in documents}


def test_rest_ask_streams_the_quote_first_and_the_answer_last(base: str) -> None:
    events = []
    with httpx.stream(
        "POST", f"{base}/api/ask", json={"question": QUESTION}, headers={"Accept": "text/event-stream"}, timeout=120
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    assert events[0][0] == "quote" and "Heilbronn" in events[0][1]["text"]
    assert events[-1][0] == "answer" and events[-1][1]["citations"]


def test_bad_requests_get_a_clear_4xx(base: str) -> None:
    for body, status, message in (
        ({"question": "   "}, 422, "empty"),
        ({"question": "x" * 3000}, 422, "at most 2000"),
        ({"question": QUESTION, "sources": ["gibt-es-nicht*"]}, 422, "no indexed document matches"),
        ({"question": QUESTION, "backend": "gpt-9"}, 422, "unknown backend"),
    ):
        response = httpx.post(f"{base}/api/ask", json=body, timeout=60)
        assert response.status_code == status and message in response.json()["error"], response.text
    broken = httpx.post(f"{base}/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "json" in broken.text.lower()
    missing = httpx.post(f"{base}/api/ask", json={"history": []})
    assert missing.status_code == 422 and "question" in missing.text


def test_the_official_openai_client_gets_cited_answers(base: str) -> None:
    client = OpenAI(base_url=f"{base}/v1", api_key="not-needed")
    assert "quellen" in [m.id for m in client.models.list().data]
    completion = client.chat.completions.create(
        model="quellen", messages=[{"role": "user", "content": "Why is the Verband Region Stuttgart a member of EMTA?"}]
    )
    text = completion.choices[0].message.content or ""
    assert "S-Bahn" in text and "**Sources**" in text and "[1]" in text
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["source"] == "european-networks-stuttgart-region.txt"

    streamed, cited = "", []
    for chunk in client.chat.completions.create(
        model="quellen",
        messages=[
            {"role": "user", "content": "Wann fand der erste Metropolkongress statt?"},
            {"role": "assistant", "content": "Am 22. Januar 2019."},
            {"role": "user", "content": "Und wo findet der zweite statt?"},
        ],
        stream=True,
    ):
        streamed += chunk.choices[0].delta.content or "" if chunk.choices else ""
        cited += (chunk.model_extra or {}).get("citations") or []
    assert "Heilbronn" in streamed and "**Quellen**" in streamed, "the follow-up used the earlier user message"
    assert cited and cited[0]["source"] == "europaeische-metropolregion-stuttgart.txt"
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": QUESTION}])


def test_a_followup_reads_the_answer_the_client_sent(base: str) -> None:
    """ "that network" is named only in the earlier answer: both APIs pass it to the follow-up's rewrite."""
    first = "On which European network's Managing Committee does Thomas Kiwitt sit?"
    said = "Thomas Kiwitt is member of the Managing Committee of METREX since April 2021."
    follow_up = "How many regions does that network bring together?"
    client = OpenAI(base_url=f"{base}/v1", api_key="not-needed")
    completion = client.chat.completions.create(
        model="quellen",
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": said},
            {"role": "user", "content": follow_up},
        ],
    )
    assert "50" in (completion.choices[0].message.content or "").split("**Sources**")[0]
    history = [{"question": first, "answer": said}]
    answer = httpx.post(f"{base}/api/ask", json={"question": follow_up, "history": history}, timeout=120).json()
    assert "METREX" in answer["citations"][0]["quote"]["text"] and "50" in answer["citations"][0]["quote"]["text"]
    bad = httpx.post(f"{base}/api/ask", json={"question": follow_up, "history": [{"answer": said}]}, timeout=30)
    assert bad.status_code == 422 and "question" in bad.text


def test_the_chat_ui_is_served_on_the_same_port(base: str) -> None:
    page = httpx.get(f"{base}/", timeout=30)
    assert page.status_code == 200 and "gradio" in page.text.lower()
    assert httpx.get(f"{base}/docs", timeout=30).status_code == 200


def test_documents_are_uploaded_and_removed_over_the_api(tmp_path, corpus_copy) -> None:
    import shutil

    from assistant.config import Settings
    from assistant.pipeline import build_assistant

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    own = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    own.library.ensure_ingested()
    note = "Das Netzwerk Alpenraum hat zwölf Mitgliedsregionen und ein Sekretariat in Innsbruck."
    with serving_api(own) as url:
        files = [
            ("files", ("../../alpenraum.txt", note.encode(), "text/plain")),
            ("files", ("programm.exe", b"MZ", "application/octet-stream")),
        ]
        report = httpx.post(f"{url}/api/documents", files=files, timeout=120).json()
        assert report["added"] == ["alpenraum.txt"], report
        assert report["refused"][0]["name"] == "programm.exe" and "unsupported" in report["refused"][0]["reason"]
        answer = httpx.post(
            f"{url}/api/ask", json={"question": "Wo ist das Sekretariat des Netzwerks Alpenraum?"}, timeout=120
        )
        assert "Innsbruck" in answer.json()["answer"]
        assert httpx.delete(f"{url}/api/documents/alpenraum.txt").json() == {"removed": "alpenraum.txt"}
        gone = httpx.delete(f"{url}/api/documents/alpenraum.txt")
        assert gone.status_code == 404 and "not in the index" in gone.json()["error"]
    assert (corpus / "alpenraum.txt").exists() is False and not (corpus / "programm.exe").exists()


def test_with_a_login_the_api_needs_a_key(tmp_path, settings) -> None:
    from assistant.api_keys import ApiKeys
    from assistant.pipeline import build_assistant
    from assistant.users import UsersFile

    own = settings.model_copy(update={"state_dir": tmp_path / "state"})
    UsersFile(own.users_path).add("pruefer", "sehr-geheim-42")
    key = ApiKeys(own.api_keys_path).add("skript")
    assistant = build_assistant(own)
    assistant.library.ensure_ingested()
    with serving_api(assistant) as url:
        for headers, status in (
            ({}, 401),
            ({"Authorization": "Bearer qk-falsch"}, 401),
            ({"Authorization": "Basic x"}, 401),
        ):
            response = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=headers, timeout=60)
            assert response.status_code == status and "key" in response.json()["error"]
        ok = httpx.post(
            f"{url}/api/ask", json={"question": QUESTION}, headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        assert ok.status_code == 200 and "Heilbronn" in ok.json()["answer"]
        client = OpenAI(base_url=f"{url}/v1", api_key=key)
        assert "quellen" in [m.id for m in client.models.list().data]
        with pytest.raises(Exception, match="401"):
            OpenAI(base_url=f"{url}/v1", api_key="qk-falsch").models.list()


@pytest.mark.slow
def test_twenty_api_clients_at_once_get_the_answers_they_get_alone(base: str) -> None:
    from bench.api_concurrency import alone, together

    baseline = alone(base)
    loaded = together(base, 20)
    assert not baseline.errors and not loaded.errors, loaded.errors[:3]
    assert loaded.turns == 20 and not loaded.differing(baseline)
