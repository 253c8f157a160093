"""Content gaps grouped by meaning: what readers asked or missed, in clusters of the same need.

English text is compared by meaning: the cosine of its all-MiniLM-L6-v2 embeddings (the
model the assistant uses; it knows English only). Text in the other languages is compared by
the words it shares (Jaccard overlap of Snowball stems; Japanese split as chatbot.tokens
does), and only with text in its own language. Clustering is average-linkage agglomerative
with a similarity floor: the two most similar groups are merged while their mean pairwise
similarity reaches the floor. Ties go to the lower index and the items come in a fixed order,
so the same items always give the same clusters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import snowballstemmer
from numpy.typing import NDArray

from chatbot.languages import question_language
from chatbot.models import SEARCH_CONFIGS
from chatbot.tokens import searchable_text

# Mean cosine similarity of two groups' embeddings from which they are one need. Paraphrases
# of one question score about 0.6-0.9 with this model; questions on neighbouring topics of
# the same product area 0.3-0.5.
MEANING_FLOOR = 0.55
# Mean share of stems two groups of non-English text have in common.
WORDS_FLOOR = 0.34
WORD = re.compile(r"\w+", re.UNICODE)
SHORT_WORD = 3  # shorter words are mostly grammar ("de", "la", "how"): they do not count

Embedder = Callable[[Sequence[str]], NDArray[np.float32]]


@dataclass(frozen=True)
class GapText:
    """One item to cluster: its key (kind and id), its text and the language it is in."""

    key: tuple[str, int]
    text: str
    language: str


def text_language(text: str, *, page_language: str) -> str:
    return question_language(text, reader_language=page_language)


_stemmers: dict[str, snowballstemmer.stemmer] = {}


def stems(text: str, language: str) -> frozenset[str]:
    """The words of the text that carry meaning, stemmed in its language."""
    words = [w.casefold() for w in WORD.findall(searchable_text(text, language))]
    config = SEARCH_CONFIGS.get(language, "simple")
    if config == "simple":
        return frozenset(words)
    words = [w for w in words if len(w) >= SHORT_WORD]
    stemmer = _stemmers.get(config)
    if stemmer is None:
        stemmer = _stemmers[config] = snowballstemmer.stemmer(config)
    return frozenset(stemmer.stemWords(words))


def word_overlap(texts: Sequence[str], language: str) -> NDArray[np.float64]:
    """Jaccard overlap of every pair's stems."""
    sets = [stems(text, language) for text in texts]
    size = len(sets)
    similarity = np.eye(size, dtype=np.float64)
    for i in range(size):
        for j in range(i + 1, size):
            union = len(sets[i] | sets[j])
            shared = len(sets[i] & sets[j]) / union if union else 0.0
            similarity[i, j] = similarity[j, i] = shared
    return similarity


def meaning_similarity(vectors: NDArray[np.float32]) -> NDArray[np.float64]:
    """Cosine similarity of every pair of unit vectors."""
    matrix = np.asarray(vectors, dtype=np.float64)
    similarity: NDArray[np.float64] = matrix @ matrix.T
    return similarity


def agglomerate(similarity: NDArray[np.float64], floor: float) -> list[list[int]]:
    """Average-linkage clusters of the items (indices), each in index order, the clusters in
    order of their first item.

    Each row keeps its best partner, so a merge costs one row's work plus the rows whose best
    partner was merged, instead of a search of the whole matrix: a few hundred items cluster
    in milliseconds."""
    size = similarity.shape[0]
    if size == 0:
        return []
    links = np.array(similarity, dtype=np.float64, copy=True)
    np.fill_diagonal(links, -np.inf)
    members: list[list[int]] = [[n] for n in range(size)]
    partner = links.argmax(axis=1)
    best = links[np.arange(size), partner]
    while True:
        i = int(np.argmax(best))
        j = int(partner[i])
        if best[i] < floor:
            break
        i, j = min(i, j), max(i, j)
        # Lance-Williams update for average linkage: the merged group's mean similarity to
        # every other group, weighted by the two groups' sizes.
        a, b = len(members[i]), len(members[j])
        merged = (a * links[i] + b * links[j]) / (a + b)
        merged[i] = merged[j] = -np.inf
        links[i, :] = merged
        links[:, i] = merged
        links[j, :] = -np.inf
        links[:, j] = -np.inf
        members[i] = sorted(members[i] + members[j])
        members[j] = []
        best[j] = -np.inf
        # Rows whose best partner was merged look again; the others only compare with the
        # merged group.
        stale = (partner == i) | (partner == j)
        stale[i] = True
        stale[j] = False
        closer = ~stale & (merged > best)
        best[closer] = merged[closer]
        partner[closer] = i
        rows = np.flatnonzero(stale)
        partner[rows] = links[rows].argmax(axis=1)
        best[rows] = links[rows, partner[rows]]
    return [group for group in members if group]


def medoid(group: list[int], similarity: NDArray[np.float64]) -> int:
    """The member most similar to the others: the cluster's most typical text."""
    if len(group) == 1:
        return group[0]
    block = similarity[np.ix_(group, group)]
    return group[int(np.argmax(block.sum(axis=1)))]


@dataclass(frozen=True)
class TextCluster:
    keys: tuple[tuple[str, int], ...]  # in the order the items were given
    language: str
    representative: str  # the medoid's text


def cluster_texts(texts: Sequence[GapText], *, embed: Embedder | None) -> list[TextCluster]:
    """Clusters of the texts: English by meaning (when ``embed`` is given), every language
    by shared words otherwise; never across languages. Largest first, then in the order of
    their first text."""
    by_language: dict[str, list[int]] = {}
    for n, item in enumerate(texts):
        by_language.setdefault(item.language, []).append(n)
    found: list[tuple[int, int, TextCluster]] = []
    for language, indices in sorted(by_language.items()):
        group_texts = [texts[n].text for n in indices]
        if language == "en" and embed is not None:
            similarity = meaning_similarity(embed(group_texts))
            floor = MEANING_FLOOR
        else:
            similarity = word_overlap(group_texts, language)
            floor = WORDS_FLOOR
        for group in agglomerate(similarity, floor):
            centre = medoid(group, similarity)
            found.append(
                (
                    -len(group),
                    indices[group[0]],
                    TextCluster(
                        keys=tuple(texts[indices[n]].key for n in group),
                        language=language,
                        representative=group_texts[centre],
                    ),
                )
            )
    return [cluster for _size, _first, cluster in sorted(found, key=lambda f: (f[0], f[1]))]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_counts(moments: Sequence[datetime], *, today: date, weeks: int) -> list[int]:
    """How many of the moments fell in each of the last ``weeks`` weeks (Monday to Sunday),
    oldest first, the current week last."""
    current = week_start(today)
    counts = [0] * weeks
    for moment in moments:
        back = (current - week_start(moment.date())).days // 7
        if 0 <= back < weeks:
            counts[weeks - 1 - back] += 1
    return counts
