"""Find the passages that answer a question (R-BOT), among the articles of one language.

Lexical ranking
  PostgreSQL: each passage has a stored tsvector in its language's configuration, weighted
  title A, heading and keywords B, text C (GIN index). A question is parsed by PostgreSQL
  itself (to_tsvector: the language's stemming and stop words; Japanese is first split into
  words by chatbot.tokens), its words grouped with their synonyms (the admin's Synonym
  table: the dictionaries of the server cannot be changed, so the expansion happens here),
  and each group scored with ts_rank (prefix matching for words of four letters or more)
  times its rarity (an inverse document frequency read from ts_stat), plus a bonus for
  adjacent words matched as a phrase and for passages that match websearch_to_tsquery
  (every word).
  SQLite, the embedded default: the same groups scored with BM25 over the passages in
  Python (Snowball stemmers), since SQLite has no text search of its own to rely on; a word
  of four letters or more matches the longer words it begins, as PostgreSQL's prefix query
  does, so that both find the same passages.
  The product's own name is taken out of the question first: it is in every question about
  the hub and in many of its articles, and tells none of them apart.

Semantic ranking (settings.ASSISTANT_SEMANTIC; English only, the model's one language)
  The cosine between the question's all-MiniLM-L6-v2 vector and each passage's (computed
  when the article was saved). The passage vectors are held in memory per process, reloaded
  when the knowledge base changes.

The two rankings are fused by reciprocal rank (``search``) and rolled up per article. Two
measures of relevance come with each article: ``coverage``, the share of the question's
rarity mass its best passage matches, and ``similarity``, that passage's cosine; the
assistant's "relevant enough" threshold is set on them (chatbot.evaluation tunes it). Each
passage found also says which of the question's words its own heading and text have (the
title and keywords, which all of an article's sections repeat, left out): the section to
quote is chosen on them (``section_fits``), and where the meaning is read, the first two
articles are ordered by their best section.
Which language to search, and when to fall back to English, is chatbot.answers' decision.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import snowballstemmer
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, QuerySet
from numpy.typing import NDArray

from chatbot import embedding
from chatbot.models import SEARCH_CONFIGS, Article, Passage, Synonym
from chatbot.tokens import searchable_text

# ts_rank's weights for D, C, B, A: body text is C, headings and keywords B, the title A.
# These and the normalisation were chosen on the tuning half of the labelled questions
# (held-out MRR 0.877 with normalisation 1 and weights 0.05/0.3/0.6/1 before).
RANK_WEIGHTS = [0.2, 0.4, 0.7, 1.0]
# ts_rank normalisation 32: rank / (rank + 1), so that a word's many repetitions in one
# passage saturate (as BM25's term frequency does) instead of outweighing rarer words.
RANK_NORMALISATION = 32
PHRASE_WEIGHT = 0.5
ALL_WORDS_WEIGHT = 0.5
PREFIX_MIN_LENGTH = 4
MAX_GROUPS = 16
LEXICAL_CANDIDATES = 60
SEMANTIC_CANDIDATES = 60
RRF_K = 60
# The semantic ranking's weight in the fusion (the words' is 1), chosen on the tuning half:
# 0.5 gave MRR 0.948 there (1.0: 0.928; words alone: 0.932).
SEMANTIC_WEIGHT = 0.5
AREA_BONUS = 0.002  # in reciprocal-rank units: breaks near-ties towards the chosen area
# BM25 (SQLite)
BM25_K1 = 1.2
BM25_B = 0.75
FIELD_WEIGHTS = {"title": 3, "heading": 2, "keywords": 2, "text": 1}

WORD = re.compile(r"\w+", re.UNICODE)


# The product's own name, the same in every language: a question may name it, and so do the
# hub's articles, but it says nothing about which article answers (a question that names the
# hub is no more about the article that names it most). It is searched as if absent.
PRODUCT_NAME = re.compile(r"(?<!\w)(?:the\s+)?customer\s+success\s+hub(?!\w)", re.IGNORECASE)


def without_product_name(question: str) -> str:
    return PRODUCT_NAME.sub(" ", question)


def semantic_enabled() -> bool:
    return bool(getattr(settings, "ASSISTANT_SEMANTIC", True)) and embedding.is_available()


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One word of the question (or a product word with its synonyms): scored as one."""

    lexemes: tuple[str, ...]
    position: int
    rarity: float = 0.0
    unknown: bool = False  # no passage of the language has it


@dataclass
class PassageScore:
    passage_id: int
    article_id: int
    lexical: float = 0.0
    coverage: float = 0.0
    similarity: float | None = None
    # The question's word groups (indices into the search's groups) this passage matches.
    matched: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PassageMatch:
    """One passage of an article hit, with what each ranking found in it."""

    passage_id: int
    fused: float  # its reciprocal-rank score
    coverage: float  # share of the question's rarity mass it matches, 0..1
    similarity: float | None  # its cosine to the question; None when not ranked by meaning
    matched: frozenset[int] = frozenset()
    position: int = 0  # in its article (0: the intro)
    sections: int = 1  # how many passages its article has
    # The groups the section's own words match, its heading and its text: the title and
    # keywords, which every section of an article repeats, left out.
    own_matched: frozenset[int] = frozenset()
    heading_matched: frozenset[int] = frozenset()
    troubleshooting: bool = False  # a troubleshooting or checklist section
    heading_similarity: float | None = None  # its heading's cosine to the question


@dataclass(frozen=True)
class ArticleHit:
    article_id: int
    passage_ids: tuple[int, ...]  # the article's best passages, best first
    score: float
    coverage: float  # of its best lexical passage, 0..1
    similarity: float | None  # of its best semantic passage, -1..1; None without semantics
    language: str = "en"  # of the passages searched
    passages: tuple[PassageMatch, ...] = ()  # every passage of it either ranking found
    groups: tuple[Group, ...] = ()  # the question's word groups, as searched
    reports_problem: bool = False  # the question tells of something going wrong


# --- What each process keeps in memory -------------------------------------------------------


@dataclass
class _Bm25Index:
    ids: list[int]
    article_ids: list[int]
    frequencies: list[Counter[str]]
    lengths: list[float]
    document_frequency: Counter[str]
    vocabulary: tuple[str, ...] = ()  # every lexeme, sorted, for prefix look-ups

    def matching(self, lexeme: str) -> list[str]:
        """The lexemes a question's lexeme matches, as PostgreSQL's tsquery does: itself,
        and for four letters or more every lexeme it begins."""
        if len(lexeme) < PREFIX_MIN_LENGTH:
            return [lexeme] if lexeme in self.document_frequency else []
        found = []
        at = bisect.bisect_left(self.vocabulary, lexeme)
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(lexeme):
            found.append(self.vocabulary[at])
            at += 1
        return found

    @property
    def average_length(self) -> float:
        return sum(self.lengths) / len(self.lengths) if self.lengths else 1.0


@dataclass(frozen=True)
class _Vocabulary:
    """A text's lexemes, sorted, so that a prefix is found by bisection."""

    words: tuple[str, ...]

    @classmethod
    def of(cls, lexemes: Iterable[str]) -> _Vocabulary:
        return cls(tuple(sorted(set(lexemes))))

    def has(self, lexeme: str) -> bool:
        """Whether the text has the lexeme, or one it begins (four letters or more), as
        PostgreSQL's prefix query would match it."""
        at = bisect.bisect_left(self.words, lexeme)
        if at == len(self.words):
            return False
        found = self.words[at]
        return found == lexeme or (len(lexeme) >= PREFIX_MIN_LENGTH and found.startswith(lexeme))


@dataclass
class _Snapshot:
    key: tuple[object, ...]
    areas: dict[int, int | None] = field(default_factory=dict)
    vectors: dict[str, tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]] = field(
        default_factory=dict
    )
    heading_vectors: dict[str, tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]] = (
        field(default_factory=dict)
    )
    bm25: dict[str, _Bm25Index] = field(default_factory=dict)
    document_counts: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)
    synonyms: dict[str, list[tuple[str, re.Pattern[str], tuple[str, ...]]]] = field(
        default_factory=dict
    )
    places: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    section_words: dict[str, dict[int, tuple[_Vocabulary, _Vocabulary]]] = field(
        default_factory=dict
    )
    troubleshooting: dict[str, frozenset[int]] = field(default_factory=dict)


_snapshot: _Snapshot | None = None
_lock = threading.Lock()


def _knowledge_key() -> tuple[object, ...]:
    """Changes whenever an article, its passages or the synonyms change (one query)."""
    articles = Article.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
    synonyms = Synonym.objects.aggregate(count=Count("id"), top=Max("id"))
    return (articles["count"], articles["changed"], synonyms["count"], synonyms["top"])


def snapshot() -> _Snapshot:
    """This process's view of the knowledge base, reloaded when it has changed."""
    global _snapshot
    key = _knowledge_key()
    current = _snapshot
    if current is not None and current.key == key:
        return current
    with _lock:
        if _snapshot is None or _snapshot.key != key:
            fresh = _Snapshot(key=key)
            fresh.areas = dict(Article.objects.values_list("id", "product_area_id"))
            _snapshot = fresh
        return _snapshot


def forget_snapshot() -> None:
    """Drop what this process holds (tests that rebuild the knowledge base call this)."""
    global _snapshot
    with _lock:
        _snapshot = None


def _published_passages(language: str) -> QuerySet[Passage]:
    return Passage.objects.filter(language=language, article__is_published=True)


def passage_places(language: str) -> dict[int, tuple[int, int]]:
    """Each published passage's (position in its article, passages in its article)."""
    state = snapshot()
    if language not in state.places:
        rows = list(_published_passages(language).values_list("id", "version_id", "position"))
        counts = Counter(version_id for _, version_id, _ in rows)
        state.places[language] = {
            passage_id: (position, counts[version_id]) for passage_id, version_id, position in rows
        }
    return state.places[language]


# --- Synonyms --------------------------------------------------------------------------------


def _synonyms(language: str) -> list[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    state = snapshot()
    if language not in state.synonyms:
        entries = []
        for term, alternatives in Synonym.objects.filter(language=language).values_list(
            "term", "alternatives"
        ):
            words = [w for w in (str(a).strip() for a in alternatives or ()) if w]
            if term.strip() and words:
                pattern = re.compile(rf"(?<!\w){re.escape(term.strip().casefold())}(?!\w)")
                entries.append((term.strip(), pattern, tuple(words)))
        state.synonyms[language] = entries
    return state.synonyms[language]


def synonym_expansions(question: str, language: str) -> list[tuple[str, tuple[str, ...]]]:
    """(term found in the question, its alternatives) for every synonym the question uses."""
    text = question.casefold()
    return [
        (term, alternatives)
        for term, pattern, alternatives in _synonyms(language)
        if pattern.search(text)
    ]


# --- Lexical: PostgreSQL ---------------------------------------------------------------------


def _pg_lexemes(texts: Sequence[str], language: str) -> list[list[tuple[str, int]]]:
    """PostgreSQL's own analysis of each text: (lexeme, first position), in order."""
    config = SEARCH_CONFIGS[language]
    result: list[list[tuple[str, int]]] = [[] for _ in texts]
    if not texts:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.n, l.lexeme, l.positions[1] FROM unnest(%s::text[]) WITH ORDINALITY "
            "AS t(body, n), unnest(to_tsvector(%s::regconfig, t.body)) AS l",
            [[searchable_text(text, language) for text in texts], config],
        )
        for number, lexeme, position in cursor.fetchall():
            result[number - 1].append((lexeme, position or 0))
    for lexemes in result:
        lexemes.sort(key=lambda item: item[1])
    return result


def _pg_document_counts(language: str) -> tuple[int, dict[str, int]]:
    state = snapshot()
    if language not in state.document_counts:
        with connection.cursor() as cursor:
            # ts_stat runs the query it is given; the language comes from SEARCH_CONFIGS.
            assert language in SEARCH_CONFIGS
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat($$SELECT p.search_vector FROM chatbot_passage p "
                "JOIN chatbot_article a ON a.id = p.article_id WHERE a.is_published AND "
                f"p.language = '{language}'$$)"
            )
            counts = dict(cursor.fetchall())
        total = _published_passages(language).count()
        state.document_counts[language] = (total, counts)
    return state.document_counts[language]


def _rarity(documents: int, total: int) -> float:
    """BM25's inverse document frequency: rare words weigh more, no word weighs nothing."""
    return math.log(1 + (total - documents + 0.5) / (documents + 0.5))


def _groups(
    own: list[tuple[str, int]], expansions: list[tuple[list[str], list[str]]]
) -> list[Group]:
    """The question's words as groups; a synonym's words join the group of the term's own."""
    groups: list[Group] = []
    by_lexeme: dict[str, int] = {}
    for lexeme, position in own:
        if lexeme not in by_lexeme:
            by_lexeme[lexeme] = len(groups)
            groups.append(Group(lexemes=(lexeme,), position=position))
    for term_lexemes, alternative_lexemes in expansions:
        members = [by_lexeme[lexeme] for lexeme in term_lexemes if lexeme in by_lexeme]
        if not members:
            continue
        target = members[0]
        added = tuple(dict.fromkeys([*groups[target].lexemes, *alternative_lexemes]))
        groups[target] = Group(lexemes=added, position=groups[target].position)
    return groups


# Dutch writes compounds as one word ("webhookbericht", "organisatiestructuur"), and its
# stemmer does not split them: a question's compound that the articles do not have is
# searched as its parts. Measured on the labelled questions, this lifts Dutch hit@3 from
# 0.825 to 0.900; German, which the same rule would suit, answered more of its unanswerable
# questions with it (its articles' compounds already match by prefix), so it is left out.
COMPOUNDING_LANGUAGES = frozenset({"nl"})
COMPOUND_PART_MIN = 4
COMPOUND_HEAD_PREFIX_MIN = 5  # a head may be the start of the articles' own compounds
COMPOUND_JOINTS = ("", "s", "e", "en", "n", "es")  # linking letters between the parts


def _known_stem(stem: str, counts: dict[str, int], *, as_start: bool) -> bool:
    if stem in counts:
        return True
    return (
        as_start
        and len(stem) >= COMPOUND_HEAD_PREFIX_MIN
        and any(word.startswith(stem) for word in counts)
    )


def compound_pieces(word: str) -> list[str]:
    """Every head and tail a compound could split into, for the analyser to stem at once."""
    pieces: list[str] = []
    for cut in range(len(word) - COMPOUND_PART_MIN, COMPOUND_PART_MIN - 1, -1):
        pieces.append(word[:cut])
        tail = word[cut:]
        for joint in COMPOUND_JOINTS:
            rest = tail[len(joint) :]
            if tail.startswith(joint) and len(rest) >= COMPOUND_PART_MIN:
                pieces.append(rest)
    return list(dict.fromkeys(pieces))


def compound_parts(
    word: str, counts: dict[str, int], stems: dict[str, str]
) -> tuple[str, str] | None:
    """An unknown compound as the stems of two parts the articles have (the head may also
    start one of their own compounds), the longest head first; None if it does not split.
    ``stems`` holds the analyser's stem of every piece (compound_pieces)."""
    for cut in range(len(word) - COMPOUND_PART_MIN, COMPOUND_PART_MIN - 1, -1):
        head = stems.get(word[:cut], "")
        if not head or not _known_stem(head, counts, as_start=True):
            continue
        tail = word[cut:]
        for joint in COMPOUND_JOINTS:
            rest = tail[len(joint) :]
            if not tail.startswith(joint) or len(rest) < COMPOUND_PART_MIN:
                continue
            stem = stems.get(rest, "")
            if stem and _known_stem(stem, counts, as_start=False):
                return head, stem
    return None


def _split_compounds(
    groups: list[Group], counts: dict[str, int], stem: Callable[[list[str]], list[str]]
) -> list[Group]:
    split: list[Group] = []
    for group in groups:
        word = group.lexemes[0]
        parts = None
        if len(group.lexemes) == 1 and len(word) >= 2 * COMPOUND_PART_MIN and word not in counts:
            pieces = compound_pieces(word)
            stems = dict(zip(pieces, stem(pieces), strict=True))
            parts = compound_parts(word, counts, stems)
        if parts is None:
            split.append(group)
        else:
            split += [Group(lexemes=(part,), position=group.position) for part in parts]
    return split


def _pg_stems(words: list[str], language: str) -> list[str]:
    """PostgreSQL's stem of each word ("" for a stop word)."""
    analysed = _pg_lexemes(words, language)
    return [lexemes[0][0] if lexemes else "" for lexemes in analysed]


def _with_rarity(
    groups: list[Group], total: int, counts: dict[str, int], *, prefix: bool
) -> list[Group]:
    rated = []
    for group in groups:
        documents = 0
        for lexeme in group.lexemes:
            found = counts.get(lexeme, 0)
            if not found and prefix and len(lexeme) >= PREFIX_MIN_LENGTH:
                found = max((n for word, n in counts.items() if word.startswith(lexeme)), default=0)
            documents = max(documents, found)
        rated.append(
            Group(group.lexemes, group.position, _rarity(documents, total), unknown=not documents)
        )
    # The rarest words say most about a long question.
    rated.sort(key=lambda g: -g.rarity)
    return sorted(rated[:MAX_GROUPS], key=lambda g: g.position)


def _tsquery_term(lexeme: str) -> str:
    quoted = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:*" if len(lexeme) >= PREFIX_MIN_LENGTH else quoted


def _tsquery_any(lexemes: Iterable[str]) -> str:
    return " | ".join(_tsquery_term(lexeme) for lexeme in lexemes)


def question_groups(question: str, language: str) -> list[Group]:
    """The question's word groups with their rarity (PostgreSQL or the Python analyser)."""
    expansions = synonym_expansions(question, language)
    if connection.vendor == "postgresql":
        texts = (
            [question]
            + [term for term, _ in expansions]
            + [" ".join(alternatives) for _, alternatives in expansions]
        )
        analysed = _pg_lexemes(texts, language)
        own = analysed[0]
        count = len(expansions)
        pairs = [
            (
                [lexeme for lexeme, _ in analysed[1 + n]],
                [lexeme for lexeme, _ in analysed[1 + count + n]],
            )
            for n in range(count)
        ]
        total, counts = _pg_document_counts(language)
        groups = _groups(own, pairs)
        if language in COMPOUNDING_LANGUAGES:
            groups = _split_compounds(groups, counts, lambda words: _pg_stems(words, language))
        return _with_rarity(groups, total, counts, prefix=True)
    own_words = _python_lexemes(question, language)
    pairs = [
        (
            [lexeme for lexeme, _ in _python_lexemes(term, language)],
            [lexeme for lexeme, _ in _python_lexemes(" ".join(alternatives), language)],
        )
        for term, alternatives in expansions
    ]
    index = _bm25_index(language)
    counts = dict(index.document_frequency)
    groups = _groups(own_words, pairs)
    if language in COMPOUNDING_LANGUAGES:
        groups = _split_compounds(groups, counts, lambda words: _stem(words, language))
    return _with_rarity(groups, len(index.ids), counts, prefix=True)


def _pg_lexical(question: str, language: str, groups: list[Group]) -> list[PassageScore]:
    if not groups:
        return []
    config = SEARCH_CONFIGS[language]
    params: list[Any] = []
    score_parts = []
    matched_parts = []
    for group in groups:
        query = _tsquery_any(group.lexemes)
        score_parts.append("%s * ts_rank(%s::float4[], p.search_vector, %s::tsquery, %s)")
        params += [group.rarity, RANK_WEIGHTS, query, RANK_NORMALISATION]
    for first, second in zip(groups, groups[1:], strict=False):
        if second.position - first.position == 1:
            phrase = f"({_tsquery_any(first.lexemes)}) <-> ({_tsquery_any(second.lexemes)})"
            score_parts.append("%s * ts_rank(%s::float4[], p.search_vector, %s::tsquery, %s)")
            params += [
                PHRASE_WEIGHT * (first.rarity + second.rarity) / 2,
                RANK_WEIGHTS,
                phrase,
                RANK_NORMALISATION,
            ]
    score_parts.append(
        "%s * ts_rank(%s::float4[], p.search_vector, websearch_to_tsquery(%s::regconfig, %s), %s)"
    )
    params += [
        ALL_WORDS_WEIGHT * max(g.rarity for g in groups),
        RANK_WEIGHTS,
        config,
        searchable_text(question, language),
        RANK_NORMALISATION,
    ]
    for group in groups:
        matched_parts.append("(p.search_vector @@ %s::tsquery)")
        params.append(_tsquery_any(group.lexemes))
    any_query = _tsquery_any(lexeme for group in groups for lexeme in group.lexemes)
    where = "a.is_published AND p.language = %s AND p.search_vector @@ %s::tsquery"
    params += [language, any_query]
    params.append(LEXICAL_CANDIDATES)
    sql = (
        f"SELECT p.id, p.article_id, {' + '.join(score_parts)} AS score, "
        f"ARRAY[{', '.join(matched_parts)}] AS matched "
        "FROM chatbot_passage p JOIN chatbot_article a ON a.id = p.article_id "
        f"WHERE {where} ORDER BY score DESC, p.id LIMIT %s"
    )
    total = sum(group.rarity for group in groups) or 1.0
    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for passage_id, article_id, score, flags in cursor.fetchall():
            matched = frozenset(n for n, flag in enumerate(flags) if flag)
            found.append(
                PassageScore(
                    passage_id=passage_id,
                    article_id=article_id,
                    lexical=float(score),
                    coverage=min(1.0, sum(groups[n].rarity for n in matched) / total),
                    matched=matched,
                )
            )
    return found


# --- Lexical: Python BM25 (SQLite) -----------------------------------------------------------


_stemmers: dict[str, object] = {}
STOP_WORDS_ROOT = Path(__file__).resolve().parent / "stopwords"


@functools.cache
def stop_words(config: str) -> frozenset[str]:
    """The words PostgreSQL's configuration leaves out (chatbot/stopwords); none for simple."""
    path = STOP_WORDS_ROOT / f"{config}.stop"
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines())


def _stem(words: list[str], language: str) -> list[str]:
    name = SEARCH_CONFIGS.get(language, "english")
    if name == "simple":
        return words
    stemmer = _stemmers.get(name)
    if stemmer is None:
        stemmer = _stemmers[name] = snowballstemmer.stemmer(name)
    return list(stemmer.stemWords(words))  # type: ignore[attr-defined]


def _python_lexemes(text: str, language: str) -> list[tuple[str, int]]:
    """The text's stems with their positions, stop words left out as PostgreSQL leaves them
    (they keep their places, so that the positions are PostgreSQL's too)."""
    ignored = stop_words(SEARCH_CONFIGS.get(language, "english"))
    kept = [
        (word, position)
        for position, word in enumerate(
            (word.casefold() for word in WORD.findall(searchable_text(text, language))), start=1
        )
        if word not in ignored
    ]
    stems = _stem([word for word, _ in kept], language)
    return [(stem, position) for stem, (_, position) in zip(stems, kept, strict=True)]


def _bm25_index(language: str) -> _Bm25Index:
    state = snapshot()
    if language not in state.bm25:
        index = _Bm25Index([], [], [], [], Counter())
        rows = _published_passages(language).values_list(
            "id", "article_id", "title", "heading", "keywords", "plain_text"
        )
        for passage_id, article_id, title, heading, keywords, text in rows:
            frequencies: Counter[str] = Counter()
            for name, value in zip(FIELD_WEIGHTS, (title, heading, keywords, text), strict=True):
                for lexeme, _ in _python_lexemes(value, language):
                    frequencies[lexeme] += FIELD_WEIGHTS[name]
            index.ids.append(passage_id)
            index.article_ids.append(article_id)
            index.frequencies.append(frequencies)
            index.lengths.append(float(sum(frequencies.values())))
            index.document_frequency.update(frequencies.keys())
        index.vocabulary = tuple(sorted(index.document_frequency))
        state.bm25[language] = index
    return state.bm25[language]


def _python_lexical(language: str, groups: list[Group]) -> list[PassageScore]:
    index = _bm25_index(language)
    if not groups or not index.ids:
        return []
    average = index.average_length
    total = sum(group.rarity for group in groups) or 1.0
    # Each group's lexemes with the longer ones they begin (PostgreSQL's prefix matching).
    matched_by = [
        list(dict.fromkeys(word for lexeme in group.lexemes for word in index.matching(lexeme)))
        for group in groups
    ]
    scores = []
    for n, frequencies in enumerate(index.frequencies):
        score = mass = 0.0
        matched: set[int] = set()
        norm = BM25_K1 * (1 - BM25_B + BM25_B * index.lengths[n] / average)
        for number, group in enumerate(groups):
            frequency = sum(frequencies.get(word, 0) for word in matched_by[number])
            if frequency:
                score += group.rarity * frequency * (BM25_K1 + 1) / (frequency + norm)
                mass += group.rarity
                matched.add(number)
        if score > 0:
            scores.append(
                PassageScore(
                    passage_id=index.ids[n],
                    article_id=index.article_ids[n],
                    lexical=score,
                    coverage=min(1.0, mass / total),
                    matched=frozenset(matched),
                )
            )
    scores.sort(key=lambda s: (-s.lexical, s.passage_id))
    return scores[:LEXICAL_CANDIDATES]


def lexical(question: str, language: str) -> list[PassageScore]:
    """The language's passages ranked by words, best first."""
    return _lexical(question, language, question_groups(question, language))


def _lexical(question: str, language: str, groups: list[Group]) -> list[PassageScore]:
    if connection.vendor == "postgresql":
        return _pg_lexical(question, language, groups)
    return _python_lexical(language, groups)


# --- Semantic --------------------------------------------------------------------------------


def _vectors(language: str) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """The language's passages with a vector of their whole text: ids, article ids, rows."""
    state = snapshot()
    if language not in state.vectors:
        state.vectors[language] = _stacked(language, "embedding")
    return state.vectors[language]


def _heading_vectors(
    language: str,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """The same for the vectors of the passages' headings alone."""
    state = snapshot()
    if language not in state.heading_vectors:
        state.heading_vectors[language] = _stacked(language, "heading_embedding")
    return state.heading_vectors[language]


def _stacked(
    language: str, field_name: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    ids, article_ids, rows = [], [], []
    for passage_id, article_id, data in (
        _published_passages(language)
        .filter(**{f"{field_name}__isnull": False})
        .values_list("id", "article_id", field_name)
    ):
        vector = embedding.from_bytes(data or b"")
        if vector.shape == (embedding.DIMENSIONS,):
            ids.append(passage_id)
            article_ids.append(article_id)
            rows.append(vector)
    matrix = (
        np.vstack(rows).astype(np.float32)
        if rows
        else np.zeros((0, embedding.DIMENSIONS), dtype=np.float32)
    )
    return np.array(ids, dtype=np.int64), np.array(article_ids, dtype=np.int64), matrix


def semantic(question_vector: NDArray[np.float32], language: str) -> list[PassageScore]:
    """The language's passages ranked by cosine to the question, best first."""
    ids, article_ids, matrix = _vectors(language)
    if not len(ids):
        return []
    similarities = matrix @ question_vector
    order = np.argsort(-similarities, kind="stable")[:SEMANTIC_CANDIDATES]
    found = [
        PassageScore(
            passage_id=int(ids[n]),
            article_id=int(article_ids[n]),
            similarity=float(similarities[n]),
        )
        for n in order
    ]
    found.sort(key=lambda s: (-(s.similarity or 0.0), s.passage_id))
    return found


def passage_cosines(
    question_vector: NDArray[np.float32],
    language: str,
    passage_ids: Iterable[int],
    *,
    headings: bool = False,
) -> dict[int, float]:
    """The question's cosine to each of these passages (those with a vector): to its whole
    text, or to its heading alone."""
    ids, _, matrix = (_heading_vectors if headings else _vectors)(language)
    wanted = np.isin(ids, np.fromiter(passage_ids, dtype=np.int64))
    return dict(zip(ids[wanted].tolist(), (matrix[wanted] @ question_vector).tolist(), strict=True))


def meaning_by_article(question: str, *, language: str = "en") -> dict[int, float]:
    """The question's best cosine to each article's passages in ``language`` (one the model
    reads). Articles share their id across languages, so this measures, without any
    translation, how close in meaning a question asked in another language is to an article."""
    ids, article_ids, matrix = _vectors(language)
    if not len(ids):
        return {}
    similarities = matrix @ embedding.embed_one(without_product_name(question))
    best: dict[int, float] = {}
    for article_id, value in zip(article_ids.tolist(), similarities.tolist(), strict=True):
        if value > best.get(article_id, -1.0):
            best[article_id] = float(value)
    return best


# --- The sections' own words ----------------------------------------------------------------


def _section_words(language: str) -> dict[int, tuple[_Vocabulary, _Vocabulary]]:
    """Each published passage's (heading lexemes, heading and text lexemes), as the
    language's analyser reads them. The intro's text starts with the article's summary,
    which speaks for the whole article as its title does: it is left out."""
    state = snapshot()
    if language not in state.section_words:
        rows = [
            (passage_id, heading, _without_summary(text, summary) if position == 0 else text)
            for passage_id, heading, text, position, summary in _published_passages(
                language
            ).values_list("id", "heading", "plain_text", "position", "version__summary")
        ]
        if connection.vendor == "postgresql":
            analysed = _pg_lexemes(
                [text for _, heading, body in rows for text in (heading, body)], language
            )
            pairs = [
                (
                    [lexeme for lexeme, _ in analysed[2 * n]],
                    [lexeme for lexeme, _ in analysed[2 * n + 1]],
                )
                for n in range(len(rows))
            ]
        else:
            pairs = [
                (
                    [lexeme for lexeme, _ in _python_lexemes(heading, language)],
                    [lexeme for lexeme, _ in _python_lexemes(body, language)],
                )
                for _, heading, body in rows
            ]
        state.section_words[language] = {
            passage_id: (_Vocabulary.of(heading), _Vocabulary.of([*heading, *body]))
            for (passage_id, _, _), (heading, body) in zip(rows, pairs, strict=True)
        }
    return state.section_words[language]


def _without_summary(text: str, summary: str) -> str:
    """The intro's own text (chatbot.passages puts the summary first)."""
    return text.removeprefix(f"{summary}\n") if summary else text


def section_matches(
    passage_ids: Iterable[int], groups: Sequence[Group], language: str
) -> dict[int, tuple[frozenset[int], frozenset[int]]]:
    """The groups each passage's heading matches, and those its heading or text match."""
    words = _section_words(language)
    found = {}
    for passage_id in passage_ids:
        if passage_id not in words:
            continue
        heading, whole = words[passage_id]
        found[passage_id] = (
            frozenset(
                number
                for number, group in enumerate(groups)
                if any(heading.has(lexeme) for lexeme in group.lexemes)
            ),
            frozenset(
                number
                for number, group in enumerate(groups)
                if any(whole.has(lexeme) for lexeme in group.lexemes)
            ),
        )
    return found


# --- The section to quote --------------------------------------------------------------------

# Choosing the section to quote: an article's intro says what a feature is and its last
# sections (troubleshooting, tips) name every topic in passing, while the question is usually
# answered by a step in between, whose heading says what the question asks. Every section
# repeats its article's title and keywords, so what the whole passage matches barely tells
# sections apart; what the section's own heading and text match does, weighed by how few of
# the article's sections have the word (a word in all of them tells none apart), and so does
# the meaning of its heading alone.
# The weights are a listwise logistic fit (softmax over an article's sections, L2 0.003) to
# the labelled sections of both tuning halves (162 English questions whose first article is
# right), halved to keep the scale SECTION_RERANK_WEIGHT was chosen on. In 5-fold cross-
# validation on those questions the fit picks the labelled section for 133 of 162; without
# the heading's meaning, 127 (the hand-set weights before cannot be cross-validated: they
# were chosen on all of them).
# chatbot.evaluation.section_weights_fit refits them; `python -m bench assistant` prints the
# refit beside these. A question that tells of something going wrong ("the upload fails with
# an error", "the widget says no data") is answered by the article's troubleshooting section
# more often than by the steps whose words it shares.
SECTION_FEATURES = (
    "coverage",  # the share of the question's rarity mass the whole passage matches
    "own words",  # the same, of the section's own heading and text, by rarity among sections
    "heading words",  # the same, of its heading alone
    "meaning",  # the whole passage's cosine to the question (a negative one counts as 0)
    "heading meaning",  # its heading's cosine to the question (0 for the intro: no heading)
    "troubleshooting",  # 1 for a troubleshooting section when the question tells of a problem
    "intro",  # 1 for the intro
    "place",  # the section's place in the article, 0 (first) .. 1 (last)
    "last",  # 1 for the last of several sections
)
SECTION_WEIGHTS = (0.7, 1.65, 1.05, 1.8, 1.5, 1.35, -0.8, -0.45, -0.4)


# Each language's words for a problem, matched in the casefolded question. The words a
# customer uses for a symptom ("stuck", "blank", "even though") and the headings "Common
# errors" and "Error messages" were added from the writers' sets' tuning half (section
# hit@1 59 -> 67 of 111, the blind set's tuning half unchanged); "never" was left out, since
# it as often names the people a step is for ("remind those who never finished").
_PROBLEM_PATTERNS = {
    "en": r"\b(errors?|fail(s|ed|ing|ure)?|not (working|showing|syncing|appearing|loading|"
    r"arriving|updating)|doesn't|does not|don't|didn't|isn't|aren't|can't|cannot|won't|"
    r"stopped|missing|broken|wrong|no data|invalid|stuck|blank|empty|vanish\w*|disappear\w*|"
    r"nowhere|greyed out|grayed out|garbled|weird|strange|hangs?|spinning|timed? out|"
    r"rejected|bounced?|blocked|denied|needs attention|even though|no option)\b",
    "es": r"\b(error(es)?|fall(a|an|ó|ido)|no (funciona|aparece|aparecen|carga|llega|llegan|"
    r"se ve|se ven|sincroniza|puedo|puede)|falta|faltan|incorrect[oa]s?|sin datos|inválid[oa]|"
    r"atascad[oa]s?|bloquead[oa]s?|en blanco|vací[oa]s?|desaparec\w*|rechazad[oa]s?|"
    r"denegad[oa]|rar[oa]s?)\b",
    "pt": r"\b(erros?|falh(a|am|ou)|não (funciona|aparece|aparecem|carrega|chega|chegam|"
    r"sincroniza|consigo|consegue)|falta|faltam|errad[oa]s?|incorret[oa]s?|sem dados|"
    r"inválid[oa]|travad[oa]s?|bloquead[oa]s?|em branco|vazi[oa]s?|desaparec\w*|"
    r"sum(iu|iram)|rejeitad[oa]s?|negad[oa]|estranh[oa]s?)\b",
    "de": r"\b(fehler\w*|schlägt fehl|scheitert|funktioniert nicht|geht nicht|nicht (angezeigt|"
    r"synchronisiert|geladen|mehr)|kein(e|en)? daten|fehlt|fehlen|falsch\w*|ungültig\w*|"
    r"hängt|hängen|leer|verschwunden|verschwinde\w*|ausgegraut|blockiert|abgelehnt|"
    r"verweigert|seltsam\w*|komisch\w*)\b",
    "fr": r"\b(erreurs?|échou\w*|ne (fonctionne|marche|s'affiche|apparaît|charge|synchronise)"
    r"|n'(apparaît|arrive|affiche)|impossible|manque|manquent|aucune donnée|invalide|"
    r"incorrect\w*|bloqué\w*|vides?|disparu\w*|dispara\w*|grisé\w*|rejeté\w*|refusé\w*|"
    r"étrange\w*|bizarre\w*)\b",
    "it": r"\b(errore|errori|non (funziona|compare|compaiono|appare|carica|arriva|arrivano|"
    r"si vede|si vedono|sincronizza|riesco)|fallisce|manca|mancano|sbagliat\w*|"
    r"nessun dato|non valid\w*|bloccat\w*|vuot[oi]|in bianco|scompar\w*|sparit[oi]|"
    r"sparisc\w*|rifiutat\w*|negat[oi]|stran[oi])\b",
    "nl": r"\b(fout\w*|mislukt|werkt niet|niet (zichtbaar|gesynchroniseerd|geladen|meer)|"
    r"verschijnt niet|ontbreekt|ontbreken|verkeerd\w*|geen gegevens|ongeldig\w*|"
    r"loopt vast|zit vast|blijft hangen|leeg|lege|verdwenen|verdwijnt|geblokkeerd|geweigerd|"
    r"afgewezen|vreemd\w*)\b",
    "ja": r"エラー|失敗|(でき|され|表示され|届か|動か|反映され|見え|同期され)ない|おかしい|止ま|"
    r"固ま|空白|消え|グレーアウト|拒否|文字化け",
}
PROBLEM_WORDS = {language: re.compile(pattern) for language, pattern in _PROBLEM_PATTERNS.items()}
# The beginnings of the articles' troubleshooting headings, in each language.
TROUBLESHOOTING_HEADINGS = {
    "en": ("troubleshooting", "checklist", "quick checks", "common causes", "common errors",
           "error messages", "if something"),
    "es": ("solución de problemas", "lista de comprobación", "comprobaciones rápidas",
           "causas habituales", "errores habituales", "mensajes de error", "si algo"),
    "pt": ("resolução de problemas", "lista de verificação", "verificações rápidas",
           "causas comuns", "erros comuns", "mensagens de erro", "se algo"),
    "de": ("fehlerbehebung", "checkliste", "schnelle prüfungen", "häufige ursachen",
           "häufige fehler", "fehlermeldungen", "wenn etwas"),
    "fr": ("dépannage", "liste de vérification", "vérifications rapides", "causes fréquentes",
           "erreurs fréquentes", "messages d’erreur", "messages d'erreur", "si quelque chose"),
    "it": ("risoluzione dei problemi", "lista di controllo", "controlli rapidi",
           "cause comuni", "errori frequenti", "messaggi di errore", "se qualcosa"),
    "nl": ("problemen oplossen", "checklist", "snelle controles", "veelvoorkomende oorzaken",
           "veelvoorkomende fouten", "foutmeldingen", "als er iets"),
    "ja": ("トラブルシューティング", "チェックリスト", "解決しない場合", "すぐにできる確認",
           "よくある原因", "よくあるエラー", "エラーメッセージ", "表示がおかしい"),
}  # fmt: skip


def reports_problem(question: str, language: str) -> bool:
    """Whether the question tells of something going wrong, in its language's words."""
    pattern = PROBLEM_WORDS.get(language)
    text = question.casefold().replace("’", "'")
    return pattern is not None and pattern.search(text) is not None


def troubleshooting_passages(language: str) -> frozenset[int]:
    """The published passages of the language whose heading is a troubleshooting one."""
    state = snapshot()
    if language not in state.troubleshooting:
        beginnings = TROUBLESHOOTING_HEADINGS.get(language, ())
        state.troubleshooting[language] = frozenset(
            passage_id
            for passage_id, heading in _published_passages(language).values_list("id", "heading")
            if heading.casefold().startswith(beginnings)
        )
    return state.troubleshooting[language]


def _section_weights(hit: ArticleHit) -> list[float]:
    """Each word group's rarity times its rarity among the article's sections found."""
    sections = len(hit.passages)
    weights = []
    for number, group in enumerate(hit.groups):
        having = sum(1 for match in hit.passages if number in match.own_matched)
        weights.append(group.rarity * math.log(1 + (sections - having + 0.5) / (having + 0.5)))
    return weights


def section_features(hit: ArticleHit) -> list[tuple[float, ...]]:
    """Each of the hit's passages as the section to quote: SECTION_FEATURES, in order."""
    weights = _section_weights(hit)
    mass = sum(weights) or 1.0
    features: list[tuple[float, ...]] = []
    for match in hit.passages:
        own = sum(weights[n] for n in match.own_matched if n < len(weights)) / mass
        heading = sum(weights[n] for n in match.heading_matched if n < len(weights)) / mass
        features.append(
            (
                match.coverage,
                own,
                heading,
                max(match.similarity or 0.0, 0.0),
                match.heading_similarity or 0.0,
                float(hit.reports_problem and match.troubleshooting),
                float(match.position == 0),
                match.position / max(match.sections - 1, 1),
                float(match.position == match.sections - 1 and match.sections > 1),
            )
        )
    return features


def section_fits(hit: ArticleHit) -> list[float]:
    """How well each of the hit's passages fits the question as the section to quote."""
    return [
        sum(weight * value for weight, value in zip(SECTION_WEIGHTS, features, strict=True))
        for features in section_features(hit)
    ]


# --- Together --------------------------------------------------------------------------------


def search(
    question: str,
    *,
    language: str = "en",
    area_id: int | None = None,
    use_semantic: bool | None = None,
    limit: int = 5,
) -> list[ArticleHit]:
    """Articles that answer the question, best first, each with its best passages."""
    question = question.strip()
    if not question:
        return []
    if language not in SEARCH_CONFIGS:
        language = "en"
    use_semantic = semantic_enabled() if use_semantic is None else use_semantic
    use_semantic = use_semantic and language in embedding.LANGUAGES
    searched = without_product_name(question)
    groups = question_groups(searched, language)
    words = _lexical(searched, language, groups)
    question_vector = embedding.embed_one(searched) if use_semantic else None
    meanings = semantic(question_vector, language) if question_vector is not None else []
    hits = fuse(
        words,
        meanings,
        area_id=area_id,
        areas=snapshot().areas,
        limit=limit,
        language=language,
        groups=groups,
        places=passage_places(language),
    )
    own = section_matches(
        (match.passage_id for hit in hits for match in hit.passages), groups, language
    )
    # The meaning ranking keeps only its best passages, but the section to quote is chosen
    # among all of an article's passages found: each needs its own cosine, not a zero.
    unranked = {m.passage_id for hit in hits for m in hit.passages if m.similarity is None}
    cosines = (
        passage_cosines(question_vector, language, unranked)
        if question_vector is not None and meanings and unranked
        else {}
    )
    heading_cosines = (
        passage_cosines(
            question_vector,
            language,
            {m.passage_id for hit in hits for m in hit.passages},
            headings=True,
        )
        if question_vector is not None and meanings
        else {}
    )
    problem = reports_problem(question, language)
    troubleshooting = troubleshooting_passages(language) if problem else frozenset()
    hits = [
        dataclasses.replace(
            hit,
            reports_problem=problem,
            passages=tuple(
                dataclasses.replace(
                    match,
                    heading_matched=own.get(match.passage_id, (frozenset(), frozenset()))[0],
                    own_matched=own.get(match.passage_id, (frozenset(), frozenset()))[1],
                    troubleshooting=match.passage_id in troubleshooting,
                    similarity=cosines.get(match.passage_id, match.similarity),
                    heading_similarity=heading_cosines.get(match.passage_id),
                )
                for match in hit.passages
            ),
        )
        for hit in hits
    ]
    return by_best_section(hits) if meanings else hits


# Between the first articles, whose fused scores are often a hair apart, the one with a
# section that plainly answers comes first: its fit (section_fits) is added to the score at
# this weight (in reciprocal-rank units). Only where the meaning is read, since the fit leans
# on it; chosen on the tuning half of the blind questions (hit@1 0.835 -> 0.901, section
# hit@1 0.725 -> 0.769; the older English sets unchanged; 0.001 to 0.003 all did as well).
SECTION_RERANK_WEIGHT = 0.002
SECTION_RERANK_DEPTH = 2


def by_best_section(hits: list[ArticleHit]) -> list[ArticleHit]:
    first = hits[:SECTION_RERANK_DEPTH]
    first.sort(
        key=lambda hit: -(hit.score + SECTION_RERANK_WEIGHT * max(section_fits(hit), default=-1.0))
    )
    return first + hits[SECTION_RERANK_DEPTH:]


def fuse(
    words: list[PassageScore],
    meanings: list[PassageScore],
    *,
    area_id: int | None = None,
    areas: dict[int, int | None] | None = None,
    limit: int = 5,
    language: str = "en",
    groups: Sequence[Group] = (),
    places: dict[int, tuple[int, int]] | None = None,
) -> list[ArticleHit]:
    """Reciprocal-rank fusion of the two rankings, rolled up per article (its best passage
    in each ranking counts; an article's passages stay in order of their fused rank)."""
    passage_score: dict[int, float] = defaultdict(float)
    passage_coverage: dict[int, float] = {}
    passage_similarity: dict[int, float] = {}
    passage_matched: dict[int, frozenset[int]] = {}
    article_of: dict[int, int] = {}
    article_rank: dict[int, float] = defaultdict(float)
    coverage: dict[int, float] = {}
    similarity: dict[int, float] = {}
    for ranking, weight in ((words, 1.0), (meanings, SEMANTIC_WEIGHT)):
        seen: set[int] = set()
        for rank, scored in enumerate(ranking, start=1):
            contribution = weight / (RRF_K + rank)
            passage_score[scored.passage_id] += contribution
            article_of[scored.passage_id] = scored.article_id
            if scored.article_id not in seen:
                seen.add(scored.article_id)
                article_rank[scored.article_id] += contribution
            if scored.similarity is None:
                coverage.setdefault(scored.article_id, scored.coverage)
                passage_coverage[scored.passage_id] = scored.coverage
                passage_matched[scored.passage_id] = scored.matched
            else:
                similarity.setdefault(scored.article_id, scored.similarity)
                passage_similarity[scored.passage_id] = scored.similarity
    if area_id is not None and areas:
        for article_id in article_rank:
            if areas.get(article_id) == area_id:
                article_rank[article_id] += AREA_BONUS
    passages: dict[int, list[int]] = defaultdict(list)
    for passage_id in sorted(passage_score, key=lambda p: (-passage_score[p], p)):
        passages[article_of[passage_id]].append(passage_id)
    ordered = sorted(article_rank, key=lambda a: (-article_rank[a], a))[:limit]
    return [
        ArticleHit(
            article_id=article_id,
            passage_ids=tuple(passages[article_id][:3]),
            score=article_rank[article_id],
            coverage=coverage.get(article_id, 0.0),
            similarity=similarity.get(article_id) if meanings else None,
            language=language,
            passages=tuple(
                PassageMatch(
                    passage_id=passage_id,
                    fused=passage_score[passage_id],
                    coverage=passage_coverage.get(passage_id, 0.0),
                    similarity=passage_similarity.get(passage_id) if meanings else None,
                    matched=passage_matched.get(passage_id, frozenset()),
                    position=(places or {}).get(passage_id, (0, 1))[0],
                    sections=(places or {}).get(passage_id, (0, 1))[1],
                )
                for passage_id in passages[article_id]
            ),
            groups=tuple(groups),
        )
        for article_id in ordered
    ]
