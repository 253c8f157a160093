"""How an article version is cut into passages, and the text each passage is embedded from.

Pure (no database): the indexer (chatbot.services.article_version_index) and the shipped
embeddings of chatbot/knowledge (chatbot.embedding) must cut an article the same way, or a
shipped vector would never be found again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatbot import content, embedding, markdown


@dataclass(frozen=True)
class PassageDraft:
    position: int
    heading: str
    anchor: str
    markdown: str  # the section as the answer quotes it
    title: str
    plain_text: str  # what retrieval ranks (the intro starts with the summary)

    @property
    def embedding_text(self) -> str:
        return f"{self.title}. {self.heading}. {self.plain_text}".replace(". . ", ". ")


def passage_drafts(*, title: str, summary: str, body: str) -> list[PassageDraft]:
    """The version's passages: one per ## or ### section, the intro first."""
    drafts = []
    for position, section in enumerate(markdown.sections(body)):
        text = section.plain_text
        if position == 0:
            text = f"{summary}\n{text}"
        drafts.append(
            PassageDraft(
                position=position,
                heading=section.heading[:200],
                anchor=section.anchor[:120],
                markdown=section.markdown,
                title=title,
                plain_text=text,
            )
        )
    return drafts


def shipped_embedding_texts(
    root: Path = content.KNOWLEDGE_ROOT,
) -> dict[str, list[str]]:
    """The texts to embed of every article file, by file (``en/surveys/some-slug``): each
    passage's whole text, and each heading alone."""
    result = {}
    for file in content.article_files(root):
        if file.language not in embedding.LANGUAGES:
            continue
        drafts = passage_drafts(title=file.title, summary=file.summary, body=file.body)
        result[f"{file.language}/{file.area}/{file.slug}"] = [
            *(d.embedding_text for d in drafts),
            *(d.heading for d in drafts if d.heading),
        ]
    return result


@dataclass(frozen=True)
class ShippedStatus:
    missing: list[str]  # articles (``language/area/slug``) with a text the file lacks
    texts: int  # to embed: each passage's whole text and each heading
    unused: int  # vectors of texts no shipped article has any more


def shipped_embeddings_status(
    root: Path = content.KNOWLEDGE_ROOT, path: Path = embedding.SHIPPED_FILE
) -> ShippedStatus:
    """Does the shipped file hold a vector, of this model, for every shipped passage?"""
    shipped = embedding.shipped_read(path)
    vectors = shipped.vectors if shipped.model == embedding.model_version() else {}
    texts = shipped_embedding_texts(root)
    wanted = {embedding.text_key(text) for article in texts.values() for text in article}
    missing = [
        name
        for name, article in sorted(texts.items())
        if any(embedding.text_key(text) not in vectors for text in article)
    ]
    return ShippedStatus(missing=missing, texts=len(wanted), unused=len(set(vectors) - wanted))


def shipped_embeddings_refresh(
    root: Path = content.KNOWLEDGE_ROOT,
    path: Path = embedding.SHIPPED_FILE,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Compute what the shipped file lacks and drop what no article uses; rewrite it only
    when that changes something. Returns (vectors computed, vectors dropped)."""
    shipped = embedding.shipped_read(path)
    old = shipped.vectors if shipped.model == embedding.model_version() else {}
    by_key = {
        embedding.text_key(text): text
        for article in shipped_embedding_texts(root).values()
        for text in article
    }
    missing = [key for key in by_key if key not in old]
    fresh = {key: vector for key, vector in old.items() if key in by_key}
    model = embedding.model() if missing else None
    for start in range(0, len(missing), 64):
        chunk = missing[start : start + 64]
        assert model is not None
        for key, vector in zip(chunk, model.encode([by_key[k] for k in chunk]), strict=True):
            fresh[key] = vector
        if progress is not None:
            progress(min(start + 64, len(missing)), len(missing))
    dropped = len(old) - (len(fresh) - len(missing))
    if missing or dropped or shipped.model != embedding.model_version():
        embedding.shipped_write(fresh, path)
    return len(missing), dropped
