"""Optional phrasing of the answer by a language model (ASSISTANT_LLM_URL).

Any OpenAI-compatible chat-completions endpoint. The model sees only the question and the
passages retrieval found, numbered, and is told to answer from them alone and cite them as
[1], [2]. A timeout, an error, an empty or uncited reply: the caller keeps the quoted
passages. Without ASSISTANT_LLM_URL nothing here runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "it": "Italian", "fr": "French"}
CITATION = re.compile(r"\[(\d+)\]")
MAX_ANSWER_CHARACTERS = 2000
SYSTEM_PROMPT = (
    "You are the support assistant of a survey and experience-management platform. Answer "
    "the customer's question using only the numbered passages from our help articles. Cite "
    "the passages you use as [1], [2]. If the passages do not answer the question, reply "
    "exactly NO_ANSWER. Be brief: at most 120 words, plain Markdown, numbered steps where "
    "the passages give steps. Never invent menu names, limits or facts. Answer in {language}."
)


@dataclass(frozen=True)
class Phrased:
    text: str
    model: str


def is_configured() -> bool:
    return bool(getattr(settings, "ASSISTANT_LLM_URL", ""))


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def phrase(question: str, passages: Sequence[str], *, language: str) -> Phrased | None:
    """The model's answer from these passages, or None (not configured, or any failure)."""
    if not is_configured() or not passages:
        return None
    model = str(getattr(settings, "ASSISTANT_LLM_MODEL", "") or "default")
    numbered = "\n\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
    payload: dict[str, Any] = {
        "model": model,
        "temperature": 0.1,
        "max_tokens": 400,
        "messages": [
            {
                "role": "system",
                "content": SYSTEM_PROMPT.format(language=LANGUAGE_NAMES.get(language, "English")),
            },
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"},
        ],
    }
    headers = {"Content-Type": "application/json"}
    key = str(getattr(settings, "ASSISTANT_LLM_API_KEY", "") or "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        response = requests.post(
            _endpoint(str(settings.ASSISTANT_LLM_URL)),
            json=payload,
            headers=headers,
            timeout=float(getattr(settings, "ASSISTANT_LLM_TIMEOUT", 8.0)),
        )
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as error:
        logger.warning("language model unavailable, quoting the passages instead: %s", error)
        return None
    if not isinstance(text, str):
        return None
    text = text.strip()
    cited = {int(n) for n in CITATION.findall(text)}
    if (
        not text
        or "NO_ANSWER" in text
        or len(text) > MAX_ANSWER_CHARACTERS
        or not cited
        or not cited <= set(range(1, len(passages) + 1))
    ):
        logger.info("language model reply not usable (no answer, uncited or too long)")
        return None
    return Phrased(text=text, model=model)
