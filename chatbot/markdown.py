"""Article Markdown: rendered safely, split into sections, cut into short excerpts.

markdown-it-py parses CommonMark with raw HTML turned off (it is shown as text), and nh3
(the Ammonia sanitiser) cleans what comes out, so neither a writer nor an admin can put
script or markup of their own on a page. ``[text](article:<slug>)`` links become links to
our own articles; a link to an unknown article is left as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

from chatbot.content import FIGURE_SRC
from chatbot.tokens import is_unspaced, length_in_words

ARTICLE_SCHEME = "article:"
ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
        "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "ol": {"start"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
# The only pictures an article may show: our own SVG figures, served from static/ (the
# Content Security Policy allows images from the site itself), each with its alt text. An
# admin's article is held to this when it is shown, as the shipped files are when loaded.
FIGURE_SOURCE = FIGURE_SRC
# Ids of the page around an article: a heading never takes one of them.
RESERVED_IDS = frozenset({"main", "assistant", "assistant-panel", "search", "content"})
WORD = re.compile(r"[\w’'-]+", re.UNICODE)

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable(["table", "strikethrough"])

ArticleLinker = Callable[[str], str | None]


def _no_links(slug: str) -> str | None:
    return None


@dataclass(frozen=True)
class Section:
    """A part of an article under one ## or ### heading (the intro has none)."""

    heading: str
    anchor: str
    markdown: str  # without the heading line
    plain_text: str


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return "".join(parts)


def _anchor(text: str, used: set[str]) -> str:
    base = slugify(text)[:80] or "section"
    if base in RESERVED_IDS:
        base = f"{base}-section"
    anchor, number = base, 2
    while anchor in used:
        anchor, number = f"{base}-{number}", number + 1
    used.add(anchor)
    return anchor


def _heading_anchors(tokens: list[Token]) -> dict[int, str]:
    """The id of every heading, by its token's index, the same way for pages and passages."""
    used: set[str] = set()
    anchors = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            anchors[index] = _anchor(_inline_text(tokens[index + 1]), used)
    return anchors


def render(source: str, *, link_for: ArticleLinker = _no_links) -> SafeString:
    """Safe HTML of the Markdown: headings with ids (a # heading becomes ##), our links."""
    tokens = _parser.parse(source)
    for index, anchor in _heading_anchors(tokens).items():
        token = tokens[index]
        if token.tag == "h1":  # the page's own title is the only <h1>
            token.tag = "h2"
            tokens[index + 2].tag = "h2"
        token.attrSet("id", anchor)
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _checked_figures(_resolve_links(token.children, link_for))
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


def _resolve_links(children: list[Token], link_for: ArticleLinker) -> list[Token]:
    result: list[Token] = []
    dropped_depth = 0
    for child in children:
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if href.startswith(ARTICLE_SCHEME):
                slug, _, fragment = href[len(ARTICLE_SCHEME) :].partition("#")
                url = link_for(slug)
                if url is None:
                    dropped_depth += 1
                    continue
                child.attrSet("href", f"{url}#{fragment}" if fragment else url)
        elif child.type == "link_close" and dropped_depth:
            dropped_depth -= 1
            continue
        result.append(child)
    return result


def _checked_figures(children: list[Token]) -> list[Token]:
    """Images stay only when they are our figures with alt text; any other is its alt text."""
    result: list[Token] = []
    for child in children:
        if child.type == "image" and not is_figure(
            str(child.attrGet("src") or ""), _inline_text(child)
        ):
            text = Token("text", "", 0)
            text.content = _inline_text(child)
            result.append(text)
            continue
        result.append(child)
    return result


def is_figure(src: str, alt: str) -> bool:
    return bool(FIGURE_SOURCE.match(src)) and bool(alt.strip())


def article_slugs_linked(source: str) -> list[str]:
    """The slugs of the ``article:`` links in the Markdown (to check they all exist)."""
    slugs = []
    for token in _parser.parse(source):
        for child in token.children or ():
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if href.startswith(ARTICLE_SCHEME):
                slugs.append(href[len(ARTICLE_SCHEME) :].partition("#")[0])
    return slugs


def plain_text(source: str) -> str:
    """The words of the Markdown without its markup, blocks separated by new lines."""
    blocks = []
    for token in _parser.parse(source):
        if token.type == "inline":
            blocks.append(_inline_text(token))
        elif token.type in {"fence", "code_block"}:
            blocks.append(token.content.strip())
    return "\n".join(block for block in blocks if block)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def word_count(source: str) -> int:
    return length_in_words(plain_text(source))


def sections(source: str) -> list[Section]:
    """The article split at its ## and ### headings; the text before the first is the intro."""
    lines = source.splitlines()
    tokens = _parser.parse(source)
    anchors = _heading_anchors(tokens)
    cuts: list[tuple[int, int, str, str]] = []  # (first line, body line, heading, anchor)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in {"h1", "h2", "h3"} and token.map:
            heading = _inline_text(tokens[index + 1]).strip()
            cuts.append((token.map[0], token.map[1], heading, anchors[index]))
    result = []
    starts = [(0, 0, "", "")] + cuts
    for number, (_first, body_line, heading, anchor) in enumerate(starts):
        end = cuts[number][0] if number < len(cuts) else len(lines)
        if number == 0 and cuts and cuts[0][0] == 0:
            continue  # no intro
        text = "\n".join(lines[body_line:end]).strip()
        if not text and not heading:
            continue
        result.append(
            Section(heading=heading, anchor=anchor, markdown=text, plain_text=plain_text(text))
        )
    return _merge_empty(result)


def _merge_empty(found: list[Section]) -> list[Section]:
    """A heading with nothing under it (a ## over ### subsections) joins the next section."""
    merged: list[Section] = []
    carried: Section | None = None
    for section in found:
        if carried is not None:
            section = Section(
                heading=f"{carried.heading}: {section.heading}"
                if section.heading
                else carried.heading,
                anchor=section.anchor or carried.anchor,
                markdown=section.markdown,
                plain_text=section.plain_text,
            )
            carried = None
        if not section.plain_text:
            carried = section
            continue
        merged.append(section)
    return merged


def excerpt(source: str, *, max_words: int) -> tuple[str, bool]:
    """The first blocks of the Markdown that fit in ``max_words`` (a list item by item);
    and whether anything was left out."""
    lines = source.splitlines()
    tokens = _parser.parse(source)
    kept: list[str] = []
    budget = max_words
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or not token.map:
            continue
        block = "\n".join(lines[token.map[0] : token.map[1]])
        count = length_in_words(plain_text(block))
        if count <= budget:
            kept.append(block)
            budget -= count
            continue
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            items = _list_items(tokens, index, lines)
            taken = []
            for item in items:
                item_words = length_in_words(plain_text(item))
                if item_words > budget:
                    break
                taken.append(item)
                budget -= item_words
            if taken:
                kept.append("\n".join(taken))
        elif not kept:
            # A first paragraph longer than the budget: cut it at a sentence, else a word.
            kept.append(_cut_paragraph(block, budget))
        return "\n\n".join(kept), True
    return "\n\n".join(kept), False


def quote(source: str, *, max_words: int, list_max_words: int) -> tuple[str, bool]:
    """A section as the assistant quotes it: whole blocks up to ``max_words``; a list (the
    steps of a procedure) is kept whole while the quote stays within ``list_max_words``,
    since half of the steps is worse than none. Also whether anything was left out."""
    lines = source.splitlines()
    tokens = _parser.parse(source)
    kept: list[str] = []
    used = 0
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or not token.map:
            continue
        block = "\n".join(lines[token.map[0] : token.map[1]])
        count = length_in_words(plain_text(block))
        is_list = token.type in {"bullet_list_open", "ordered_list_open"}
        if used + count <= (list_max_words if is_list else max_words):
            kept.append(block)
            used += count
            continue
        if is_list:
            taken = []
            for item in _list_items(tokens, index, lines):
                item_words = length_in_words(plain_text(item))
                if used + item_words > list_max_words:
                    break
                taken.append(item)
                used += item_words
            if taken:
                kept.append("\n".join(taken))
        elif not kept:
            kept.append(_cut_paragraph(block, max_words))
        return "\n\n".join(kept), True
    return "\n\n".join(kept), False


def _list_items(tokens: list[Token], list_index: int, lines: list[str]) -> list[str]:
    items = []
    depth = 0
    for token in tokens[list_index + 1 :]:
        if token.type in {"bullet_list_close", "ordered_list_close"} and depth == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            items.append("\n".join(lines[token.map[0] : token.map[1]]).rstrip())
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            depth += 1
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            depth -= 1
    return items


def _cut_paragraph(block: str, budget: int) -> str:
    # Japanese ends a sentence with 。 and starts the next without a space.
    joiner = "" if is_unspaced(block) else " "
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|(?<=[。！？])", block) if s]
    kept: list[str] = []
    for sentence in sentences:
        if length_in_words(joiner.join([*kept, sentence])) > budget:
            break
        kept.append(sentence)
    if kept:
        return joiner.join(kept)
    if joiner:
        return " ".join(block.split()[: max(budget, 1)]) + " …"
    return block[: max(budget, 1) * 2] + "…"
