"""The embeddings shipped with the knowledge files: one for every passage of every shipped
article (a stale file fails here, naming the articles), reused when loading, and only what
changed is computed again."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from chatbot import content, embedding, passages


def test_the_shipped_file_holds_every_passage_of_every_shipped_article() -> None:
    status = passages.shipped_embeddings_status()
    assert status.missing == [], (
        "chatbot/knowledge/embeddings.npz is stale for these articles; run "
        f"`python manage.py knowledge_embeddings` and commit the file: {status.missing}"
    )
    assert status.unused == 0
    english = [f for f in content.article_files() if f.language in embedding.LANGUAGES]
    assert status.texts > len(english)  # several passages and headings per article, English only


def test_a_shipped_passage_is_read_from_the_file() -> None:
    texts = next(iter(passages.shipped_embedding_texts().values()))
    shipped = embedding.shipped_read()
    assert shipped.model == embedding.model_version()
    vectors = embedding.embed(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.array_equal(vector, shipped.vectors[embedding.text_key(text)])


@pytest.fixture
def copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the knowledge folder and of its embeddings file, free to change."""
    root = tmp_path / "knowledge"
    shutil.copytree(content.KNOWLEDGE_ROOT, root)
    return root, root / embedding.SHIPPED_FILE.name


def test_a_changed_article_is_named_stale_and_only_its_changed_passage_is_computed(
    copy: tuple[Path, Path],
) -> None:
    root, file = copy
    article = sorted((root / "articles" / "en").glob("*/*.md"))[0]
    article.write_text(article.read_text() + "\n\nOne more sentence that says something new.\n")
    name = "/".join(article.relative_to(root / "articles").with_suffix("").parts)
    assert passages.shipped_embeddings_status(root, file).missing == [name]
    with pytest.raises(CommandError, match=name):
        call_command("knowledge_embeddings", check=True, root=root, file=file, stdout=StringIO())
    out = StringIO()
    call_command("knowledge_embeddings", root=root, file=file, stdout=out)
    # The article's last passage changed: it is computed, its old vector dropped.
    assert "1 texts embedded, 1 unused vectors dropped" in out.getvalue()
    assert passages.shipped_embeddings_status(root, file).missing == []
    before = file.read_bytes()
    call_command("knowledge_embeddings", root=root, file=file, stdout=StringIO())
    assert file.read_bytes() == before  # nothing changed: the file is not rewritten
