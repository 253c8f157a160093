"""all-MiniLM-L6-v2 on numpy gives the vectors the original model gives (PyTorch and
sentence-transformers, computed once by scripts/minilm_reference.py and committed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chatbot import embedding

REFERENCE = Path(__file__).resolve().parent / "data" / "minilm_reference.json"

pytestmark = pytest.mark.smoke


def _reference() -> list[dict[str, object]]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    vectors: list[dict[str, object]] = data["vectors"]
    return vectors


def test_the_model_is_installed_without_pytorch() -> None:
    import importlib.util

    assert embedding.is_available()
    assert importlib.util.find_spec("torch") is None


def test_our_vectors_match_the_original_model_for_every_reference_text() -> None:
    reference = _reference()
    ours = embedding.embed([str(item["text"]) for item in reference])
    for item, vector in zip(reference, ours, strict=True):
        expected = np.array(item["vector"], dtype=np.float32)
        assert vector.shape == (embedding.DIMENSIONS,)
        assert float(np.abs(vector - expected).max()) < 1e-5, item["text"]
        assert float(vector @ expected) > 0.99999


def test_a_text_embeds_the_same_alone_and_in_a_batch_of_other_lengths() -> None:
    texts = ["reset api token", "a much longer sentence about dashboards and their widgets " * 5]
    together = embedding.embed(texts)
    alone = np.vstack([embedding.embed_one(text) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_similar_questions_are_closer_than_unrelated_ones() -> None:
    reminder, chase, weather = embedding.embed(
        [
            "send a reminder to people who did not answer the survey",
            "how do I chase non-responders of my questionnaire",
            "what is the weather in Rome tomorrow",
        ]
    )
    assert float(reminder @ chase) > float(reminder @ weather) + 0.2


def test_vectors_survive_the_trip_through_bytes() -> None:
    vector = embedding.embed_one("XM Directory")
    assert np.array_equal(embedding.from_bytes(embedding.to_bytes(vector)), vector)
