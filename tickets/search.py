"""Full-text search over tickets (R-HISTORY): the stored document and the query.

On PostgreSQL each ticket keeps a ``search_document`` (GIN-indexed): its subject (weight A),
description (B) and the messages of its timeline (C), stemmed in the ticket's own language,
plus the same words unstemmed (D) so that a search typed in another interface language still
finds them. The services refresh it in the transaction that changes the text. SQLite, the
embedded default, has no full-text index: the history falls back to substring matching there,
which is fine at a laptop's scale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from django.contrib.postgres.search import SearchConfig, SearchQuery
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.sql.compiler import SQLCompiler
from psycopg import sql

from tickets.models import TicketEvent

# Support languages → PostgreSQL text-search configurations. Japanese has none built in.
SEARCH_CONFIGS: dict[str, str] = {
    "en": "english",
    "es": "spanish",
    "pt": "portuguese",
    "de": "german",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
}
UNSTEMMED = "simple"
# Timeline entries whose message is something a person wrote.
SEARCHABLE_EVENT_KINDS = ("comment", "email_reply", "chat_message")
MAX_QUERY_WORDS = 8

_CONFIG_CASE = " ".join(
    f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in SEARCH_CONFIGS.items()
)
_KINDS = ", ".join(f"'{kind}'" for kind in SEARCHABLE_EVENT_KINDS)
# One statement for any number of tickets: the text of each, gathered and indexed at once.
REFRESH_SQL = f"""
UPDATE tickets_ticket AS ticket
SET search_document =
    setweight(to_tsvector(source.config, ticket.subject), 'A')
    || setweight(to_tsvector(source.config, ticket.description), 'B')
    || setweight(to_tsvector(source.config, source.messages), 'C')
    || setweight(to_tsvector('{UNSTEMMED}',
           ticket.subject || ' ' || ticket.description || ' ' || source.messages), 'D')
FROM (
    SELECT inner_ticket.id,
           CASE inner_ticket.language {_CONFIG_CASE} ELSE '{UNSTEMMED}'::regconfig END
               AS config,
           COALESCE((
               SELECT string_agg(event.message, ' ' ORDER BY event.id)
               FROM tickets_ticketevent AS event
               WHERE event.ticket_id = inner_ticket.id
                 AND event.kind IN ({_KINDS}) AND event.message <> ''
           ), '') AS messages
    FROM tickets_ticket AS inner_ticket
    WHERE inner_ticket.id = ANY(%s)
) AS source
WHERE ticket.id = source.id
"""


def ticket_search_refresh(ticket_ids: Iterable[int]) -> None:
    """Rebuild the search document of these tickets (a no-op on SQLite)."""
    ids = sorted(set(ticket_ids))
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, [ids])


_NUMBER = re.compile(r"^\s*(?:cs[-\s]?)?0*(\d{1,12})\s*$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


def ticket_number_in(text: str) -> str | None:
    """ "CS-000123", "cs123" or "123" → "CS-000123"; None when the text is not a number."""
    match = _NUMBER.match(text)
    return f"CS-{int(match.group(1)):06d}" if match else None


def search_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())[:MAX_QUERY_WORDS]


def ticket_search_condition(text: str, *, language: str) -> Q:
    """Tickets whose number is the text, or whose words contain every word of it (the last
    one as a prefix, so results follow the typing)."""
    number = ticket_number_in(text)
    words = search_words(text)
    if words and connection.vendor != "postgresql":
        return _number_condition(number) | _substring_condition(words)
    expression = text_query_expression(words) if words else None
    return _text_condition(number, expression, SEARCH_CONFIGS.get(language))


class SearchShape(NamedTuple):
    """What a search's statement holds, whatever its words: a number to match, words (as
    one text query), and the language's stemmed configuration beside the unstemmed one."""

    number: bool
    words: bool
    config: str | None

    def condition(self, *, number: str, expression: str) -> Q:
        """``ticket_search_condition`` of a text of this shape on PostgreSQL, made of the
        number and text query given (placeholders, for a statement compiled once)."""
        return _text_condition(
            number if self.number else None, expression if self.words else None, self.config
        )


class SearchTerms(NamedTuple):
    """What a search's text asks for: the ticket number it is, if any, and its words as one
    text query, if it has any."""

    number: str | None
    expression: str | None

    @classmethod
    def of(cls, text: str) -> SearchTerms:
        words = search_words(text)
        return cls(ticket_number_in(text), text_query_expression(words) if words else None)

    def shape(self, *, language: str) -> SearchShape:
        return SearchShape(
            number=self.number is not None,
            words=self.expression is not None,
            config=SEARCH_CONFIGS.get(language),
        )


def text_query_expression(words: list[str]) -> str:
    """The words as ``to_tsquery`` reads them: all of them, the last as a prefix. Only \\w
    characters reach it, so its operators cannot be injected."""
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


def _number_condition(number: str | None) -> Q:
    condition = Q(pk__in=[])
    if number is not None:
        condition |= Q(number=number)
    return condition


def _text_condition(number: str | None, expression: str | None, config: str | None) -> Q:
    """The number, or every word of the text query in the ticket's search document, stemmed
    by the configuration ``config`` or unstemmed."""
    condition = _number_condition(number)
    if expression is None:
        return condition
    query = _text_query(expression, UNSTEMMED)
    if config is not None:
        query = _text_query(expression, config) | query
    return condition | Q(search_document=query)


class _Written(Value):
    """A string written into the statement, quoted, instead of sent beside it.

    A statement run five times on a connection is prepared (settings.DATABASES), and
    PostgreSQL may then plan it once for any parameters. Planned without its words, a search
    was guessed to match 500 tickets: its count gathered every match from the text index and
    sorted them (10,012 for two common words at 100,000 tickets) instead of walking the list's
    index to the cap. Written in, the words are part of the statement, so a prepared search is
    planned for them.
    """

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str | int, ...]]:
        return written_text(str(self.value), connection), ()


def written_text(value: str, on: BaseDatabaseWrapper = connection) -> str:
    """``value`` as a statement's text holds it: quoted by the driver for the connection,
    percent signs doubled because the statement still goes through the driver's parameter
    formatting. A statement compiled with a placeholder's text takes a run's text so."""
    on.ensure_connection()
    literal = sql.Literal(value).as_string(on.connection)
    return literal.replace("%", "%%")


def _text_query(expression: str, config: str) -> SearchQuery:
    return SearchQuery(
        _Written(expression), search_type="raw", config=SearchConfig(_Written(config))
    )


def _substring_condition(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        in_messages = TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"), kind__in=SEARCHABLE_EVENT_KINDS, message__icontains=word
        )
        condition &= Q(
            Q(subject__icontains=word) | Q(description__icontains=word) | Q(Exists(in_messages))
        )
    return condition
