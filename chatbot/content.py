"""The knowledge files of chatbot/knowledge: read and checked, never written.

``articles/<language>/<area>/<slug>.md`` holds one article version (YAML front matter, then
Markdown); ``questions/*.yaml`` holds the labelled questions the assistant is measured on.
Reading is pure (no database): the loader (chatbot.services.knowledge_load), the content
tests and the benchmark all start here. A file that breaks the format raises
KnowledgeFormatError naming the file and what is wrong with it.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from routing.area_catalogue import PRODUCT_AREAS

KNOWLEDGE_ROOT = Path(__file__).resolve().parent / "knowledge"
LANGUAGES = ("en", "es", "pt", "de", "fr", "it", "nl", "ja")
SOURCE_LANGUAGE = "en"  # every article is written in English first, then translated
HUB_AREA = "hub"  # articles about the Customer Success Hub itself: no product area
AREAS = frozenset({area.slug for area in PRODUCT_AREAS} | {HUB_AREA})
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
MAX_TITLE = 200
MAX_SUMMARY = 400
# A figure is the only image an article may hold: a diagram served from our own static
# files, with alt text (the assistant shows it with the section it belongs to), on a line
# of its own.
FIGURE = re.compile(r"^!\[(?P<alt>[^\]\n]*)\]\((?P<src>[^)\n]*)\)$", re.M)
FIGURE_SRC = re.compile(r"^/static/img/articles/[a-z0-9]+(?:-[a-z0-9]+)*\.svg$")
IMAGE = re.compile(r"!\[")


class KnowledgeFormatError(ValueError):
    """One or more knowledge files break the format; ``problems`` names each file."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ArticleFile:
    path: Path
    language: str
    area: str  # a product area's slug, or "hub"
    slug: str
    title: str
    summary: str
    updated: datetime.date
    keywords: tuple[str, ...]
    body: str
    # A translation: the ``updated`` date of the English version it was made from. When the
    # English article is updated later, the translation may be out of date.
    source_updated: datetime.date | None = None

    @property
    def product_area_slug(self) -> str | None:
        return None if self.area == HUB_AREA else self.area

    @property
    def content_hash(self) -> str:
        text = "\x1f".join(
            [self.area, self.title, self.summary, self.updated.isoformat(), *self.keywords]
        )
        return hashlib.sha256(f"{text}\x1e{self.body}".encode()).hexdigest()


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    language: str
    articles: tuple[str, ...]  # best first; empty: the knowledge base cannot answer it
    source: str  # file name and position, for messages
    # The anchor of the first article's section that answers it ("" for the text before the
    # first heading); None where nobody labelled the section.
    section: str | None = None
    # Not about the product at all (weather, jokes, attempts to read the instructions), as
    # against a product question that no article covers yet.
    off_topic: bool = False

    @property
    def answerable(self) -> bool:
        return bool(self.articles)

    @property
    def question_set(self) -> str:
        """The name of the file it comes from: "blind" for the questions written without the
        articles in view, the writers' and languages' sets otherwise."""
        return Path(self.source.split(" #")[0]).stem


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent.parent.parent))
    except ValueError:
        return str(path)


def _date(value: object) -> datetime.date | None:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def article_file_read(path: Path, *, root: Path = KNOWLEDGE_ROOT) -> ArticleFile:
    """One article file, checked; KnowledgeFormatError naming the file otherwise."""
    name = _relative(path, root)
    problems: list[str] = []
    try:
        language, area, filename = path.relative_to(root / "articles").parts
    except ValueError:
        raise KnowledgeFormatError(
            [f"{name}: articles live at articles/<language>/<area>/<slug>.md"]
        ) from None
    slug = filename.removesuffix(".md")
    if language not in LANGUAGES:
        problems.append(
            f"{name}: unknown language folder {language!r} (use one of {', '.join(LANGUAGES)})"
        )
    if area not in AREAS:
        problems.append(f"{name}: unknown area folder {area!r}")
    if not SLUG.match(slug):
        problems.append(f"{name}: the slug {slug!r} must be lower-case words joined by hyphens")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeFormatError([f"{name}: cannot be read as UTF-8 ({error})"]) from None
    match = FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if match is None:
        raise KnowledgeFormatError(
            [*problems, f"{name}: must start with front matter between two --- lines"]
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise KnowledgeFormatError(
            [*problems, f"{name}: front matter is not valid YAML ({error})"]
        ) from None
    if not isinstance(meta, dict):
        raise KnowledgeFormatError([*problems, f"{name}: front matter must be key: value lines"])
    title, summary = _text(meta.get("title")), _text(meta.get("summary"))
    if title is None:
        problems.append(f"{name}: title is missing")
    elif len(title) > MAX_TITLE:
        problems.append(f"{name}: title is longer than {MAX_TITLE} characters")
    if summary is None:
        problems.append(f"{name}: summary is missing")
    elif len(summary) > MAX_SUMMARY:
        problems.append(f"{name}: summary is longer than {MAX_SUMMARY} characters")
    updated = _date(meta.get("updated"))
    if updated is None:
        problems.append(f"{name}: updated must be a date like 2026-11-18")
    source_updated = None
    if language == SOURCE_LANGUAGE:
        if "source_updated" in meta:
            problems.append(f"{name}: source_updated belongs to translations, not to English")
    else:
        source_updated = _date(meta.get("source_updated"))
        if source_updated is None:
            problems.append(
                f"{name}: source_updated must be the date (like 2026-11-18) in the updated "
                "line of the English version this translation was made from"
            )
    keywords = meta.get("keywords", [])
    if keywords is None:
        keywords = []
    if not isinstance(keywords, list) or not all(_text(k) for k in keywords):
        problems.append(f"{name}: keywords must be a list of words, like [nudge, chaser]")
        keywords = []
    unknown = sorted(set(meta) - {"title", "summary", "updated", "keywords", "source_updated"})
    if unknown:
        problems.append(f"{name}: unknown front matter keys: {', '.join(unknown)}")
    body = match.group(2).strip()
    if not body:
        problems.append(f"{name}: the body is empty")
    problems.extend(f"{name}: {problem}" for problem in _figure_problems(body))
    if problems:
        raise KnowledgeFormatError(problems)
    assert title is not None and summary is not None and isinstance(updated, datetime.date)
    return ArticleFile(
        path=path,
        language=language,
        area=area,
        slug=slug,
        title=title,
        summary=summary,
        updated=updated,
        keywords=tuple(str(k).strip() for k in keywords),
        body=body,
        source_updated=source_updated,
    )


def figures(body: str) -> list[tuple[str, str]]:
    """The (alt text, address) of every figure of an article body, in order."""
    return [(m.group("alt").strip(), m.group("src")) for m in FIGURE.finditer(body)]


def _figure_problems(body: str) -> list[str]:
    problems = []
    if len(IMAGE.findall(body)) != len(FIGURE.findall(body)):
        problems.append(
            "an image must be a figure on a line of its own: "
            "![alt text](/static/img/articles/<name>.svg)"
        )
    for alt, src in figures(body):
        if not alt:
            problems.append(f"the figure {src} needs alt text that says what it shows")
        if not FIGURE_SRC.match(src):
            problems.append(f"the figure {src!r} must be an SVG under /static/img/articles/")
    return problems


def article_files(root: Path = KNOWLEDGE_ROOT) -> list[ArticleFile]:
    """Every article file, checked one by one and then together (a slug in one area only,
    titles distinct per language); KnowledgeFormatError lists every problem found."""
    problems: list[str] = []
    files: list[ArticleFile] = []
    for path in sorted((root / "articles").glob("**/*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix != ".md":
            problems.append(f"{_relative(path, root)}: not a .md file")
            continue
        try:
            files.append(article_file_read(path, root=root))
        except KnowledgeFormatError as error:
            problems.extend(error.problems)
    areas: dict[str, ArticleFile] = {}
    seen: dict[tuple[str, str], ArticleFile] = {}
    titles: dict[tuple[str, str], ArticleFile] = {}
    for file in files:
        name = _relative(file.path, root)
        first = areas.setdefault(file.slug, file)
        if first.area != file.area:
            problems.append(
                f"{name}: the slug {file.slug!r} is in area {first.area!r} elsewhere "
                f"({_relative(first.path, root)})"
            )
        if (other := seen.setdefault((file.language, file.slug), file)) is not file:
            problems.append(f"{name}: the slug {file.slug!r} is also {_relative(other.path, root)}")
        key = (file.language, file.title.casefold())
        if (other := titles.setdefault(key, file)) is not file:
            problems.append(f"{name}: the title is also the title of {_relative(other.path, root)}")
    originals = {file.slug: file for file in files if file.language == SOURCE_LANGUAGE}
    for file in files:
        if file.language == SOURCE_LANGUAGE:
            continue
        name = _relative(file.path, root)
        original = originals.get(file.slug)
        if original is None:
            problems.append(f"{name}: there is no English article {file.slug!r} to translate")
        elif file.source_updated is not None and file.source_updated > original.updated:
            problems.append(
                f"{name}: source_updated {file.source_updated} is later than the English "
                f"version's updated {original.updated}"
            )
    if problems:
        raise KnowledgeFormatError(problems)
    return files


@dataclass(frozen=True)
class TranslationStatus:
    """What ``knowledge_load --check`` reports: per language, the English articles with no
    translation and the translations made from an older English version."""

    missing: dict[str, list[str]]  # language -> slugs
    stale: dict[str, list[tuple[str, datetime.date, datetime.date]]]  # slug, from, English

    @property
    def complete(self) -> bool:
        return not any(self.missing.values()) and not any(self.stale.values())


def translation_status(files: Iterable[ArticleFile]) -> TranslationStatus:
    files = list(files)
    originals = {file.slug: file for file in files if file.language == SOURCE_LANGUAGE}
    have: dict[str, dict[str, ArticleFile]] = {language: {} for language in LANGUAGES}
    for file in files:
        have[file.language][file.slug] = file
    missing: dict[str, list[str]] = {}
    stale: dict[str, list[tuple[str, datetime.date, datetime.date]]] = {}
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        missing[language] = sorted(set(originals) - set(have[language]))
        stale[language] = sorted(
            (slug, file.source_updated, originals[slug].updated)
            for slug, file in have[language].items()
            if slug in originals
            and file.source_updated is not None
            and file.source_updated < originals[slug].updated
        )
    return TranslationStatus(missing=missing, stale=stale)


QUESTION_KEYS = frozenset({"question", "articles", "language", "section", "covered", "off_topic"})


def _label_problems(
    articles: list[str], section: object, covered: object, off_topic: object
) -> list[str]:
    """What contradicts itself in one question's labels: a section needs an article, and
    "not covered" and "off topic" both mean that no article answers it."""
    problems = []
    if section is not None and not isinstance(section, str):
        problems.append('section must be the anchor of a heading, or "" for the intro')
    if section is not None and not articles:
        problems.append("a section needs the article it belongs to")
    if not isinstance(covered, bool) or not isinstance(off_topic, bool):
        problems.append("covered and off_topic are true or false")
    elif (covered is False or off_topic) and articles:
        problems.append("a question no article covers, or off topic, has articles: []")
    elif covered is False and off_topic:
        problems.append("off_topic already says no article covers it; drop covered: false")
    return problems


def labelled_questions(root: Path = KNOWLEDGE_ROOT) -> list[LabelledQuestion]:
    """Every labelled question; KnowledgeFormatError lists every malformed one."""
    problems: list[str] = []
    questions: list[LabelledQuestion] = []
    for path in sorted((root / "questions").glob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        name = _relative(path, root)
        if path.suffix not in {".yaml", ".yml"}:
            problems.append(f"{name}: not a .yaml file")
            continue
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(f"{name}: not valid YAML ({error})")
            continue
        if not isinstance(entries, list):
            problems.append(f"{name}: must be a list of questions")
            continue
        for number, entry in enumerate(entries, start=1):
            where = f"{name} #{number}"
            if not isinstance(entry, dict):
                problems.append(f"{where}: must be a mapping with question and articles")
                continue
            question = _text(entry.get("question"))
            language = entry.get("language", "en")
            articles = entry.get("articles")
            section = entry.get("section")
            covered = entry.get("covered", True)
            off_topic = entry.get("off_topic", False)
            unknown = sorted(set(entry) - QUESTION_KEYS)
            if question is None:
                problems.append(f"{where}: question is missing")
            if language not in LANGUAGES:
                problems.append(f"{where}: unknown language {language!r}")
            if (
                not isinstance(articles, list)
                or len(articles) > 3
                or not all(isinstance(slug, str) and SLUG.match(slug) for slug in articles)
            ):
                problems.append(f"{where}: articles must be a list of 0 to 3 slugs")
                continue
            if unknown:
                problems.append(f"{where}: unknown keys: {', '.join(unknown)}")
            problems.extend(
                f"{where}: {problem}"
                for problem in _label_problems(articles, section, covered, off_topic)
            )
            if question is not None and language in LANGUAGES:
                questions.append(
                    LabelledQuestion(
                        question=question,
                        language=str(language),
                        articles=tuple(articles),
                        source=where,
                        section=section if isinstance(section, str) else None,
                        off_topic=off_topic is True,
                    )
                )
    if problems:
        raise KnowledgeFormatError(problems)
    return questions


def is_held_out(question: LabelledQuestion) -> bool:
    """The deterministic split: about half the questions tune the threshold, the others
    (held out) report on it. Decided by the question's own text, so adding questions
    never moves the others between halves."""
    digest = hashlib.sha256(f"{question.language}:{question.question}".encode()).digest()
    return digest[0] % 2 == 1
