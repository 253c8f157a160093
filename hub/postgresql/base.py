"""Django's PostgreSQL backend (psycopg 3), with a health check that costs no round trip while
the server has said nothing.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request's first query,
by running ``SELECT 1``: a round trip, and a statement for the server, on every page that
reads the database (a tenth of a small page's time). A server that ends a connection (a
restart, a failover, ``pg_terminate_backend``) says so on it and closes it, so an idle
connection with nothing to read is one the server still holds; only when something has
arrived is the full check run. Django's connection pool, which would skip the check, keeps no
such promise: it hands out a connection the server has ended.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return bool(super().is_usable())
        poller = select.poll()
        try:
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            arrived = poller.poll(0)
        except (OSError, ValueError):
            return False
        # Something arrived while the connection sat idle: the server ending it, or a
        # notification it may carry. The full check tells which.
        return bool(super().is_usable()) if arrived else True
