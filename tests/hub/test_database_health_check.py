"""A kept database connection is checked before each request's first query without a round
trip; one the server has ended is still found out and replaced."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from hub.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the health check is PostgreSQL's"
)


@pytest.fixture
def kept(db: None) -> Iterator[Any]:
    """A connection of its own to the test database, as a request would keep it."""
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _statements_sent(wrapper: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        if cursor.connection is wrapper.connection:
            sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    return sent


def _arrived(wrapper: Any) -> None:
    """Waits until what the server sent reaches the connection's socket."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if select.select([wrapper.connection.fileno()], [], [], 0.05)[0]:
            return
    raise AssertionError("nothing arrived from the server")


def _server_side(wrapper: Any, statement: str) -> None:
    with (
        psycopg.connect(**{**wrapper.get_connection_params(), "autocommit": True}) as other,
        other.cursor() as cursor,
    ):
        cursor.execute(statement, [wrapper.connection.info.backend_pid])


def test_a_quiet_connection_is_usable_without_a_statement(
    kept: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _statements_sent(kept, monkeypatch)
    assert kept.is_usable()
    assert sent == []


def test_a_connection_the_server_ended_is_found_unusable_and_replaced(kept: Any) -> None:
    ended_pid = kept.connection.info.backend_pid
    _server_side(kept, "SELECT pg_terminate_backend(%s)")
    _arrived(kept)
    assert not kept.is_usable()
    # As between two requests: the next one's first query checks the connection first.
    kept.close_if_unusable_or_obsolete()
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != ended_pid


def test_a_connection_with_a_notification_waiting_is_checked_in_full_and_kept(
    kept: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kept.cursor() as cursor:
        cursor.execute("LISTEN hub_health_check")
    _server_side(kept, "SELECT pg_notify('hub_health_check', %s::text)")
    _arrived(kept)
    sent = _statements_sent(kept, monkeypatch)
    assert kept.is_usable()
    assert sent == ["SELECT 1"]


def test_a_read_repeated_on_a_kept_connection_is_planned_once(kept: Any) -> None:
    from tickets.models import Ticket

    def prepared() -> list[str]:
        with kept.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    assert kept.settings_dict["OPTIONS"]["server_side_binding"] is True
    threshold = kept.settings_dict["OPTIONS"]["prepare_threshold"]
    read = Ticket.objects.filter(number="CS-000001").values_list("pk")
    sql = str(read.query).split(" WHERE ")[0]
    with kept.cursor() as cursor:
        compiled, params = read.query.sql_with_params()
        for _ in range(threshold):
            cursor.execute(compiled, params)
        assert not [statement for statement in prepared() if sql in statement]
        cursor.execute(compiled, params)
    assert [statement for statement in prepared() if sql in statement]
