"""The inbound SMTP server for replies to ticket mail (R-CONFIRM), built on aiosmtpd.

It accepts mail for the reply domain only, and answers 250 only once the message is stored
(attached or kept aside), so a message the sender was told we have is in the database. A
database error answers 451: the sending server keeps the message and retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from tickets.inbound import inbound_email_receive
from tickets.models import InboundEmail

logger = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 10 * 1024 * 1024
# How long a stopping server waits for messages being stored, so their senders get an answer.
STOP_GRACE_SECONDS = 20.0


def _store(raw: bytes, recipients: Sequence[str]) -> InboundEmail:
    """Runs in Django's sync world; connections are handled as a request would handle them."""
    close_old_connections()
    try:
        return inbound_email_receive(raw, recipients=recipients)
    finally:
        close_old_connections()


class InboundMailHandler:
    """aiosmtpd handler: reply-domain recipients only, bounded size, stored before 250."""

    def __init__(
        self,
        *,
        domain: str | None = None,
        max_size: int = MAX_MESSAGE_SIZE,
        store: Callable[[bytes, Sequence[str]], InboundEmail] = _store,
    ) -> None:
        self.domain = (domain or settings.SUPPORT_REPLY_DOMAIN).lower().rstrip(".")
        self.max_size = max_size
        self._store = store
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def accepts(self, address: str) -> bool:
        local, _at, host = address.strip().strip("<>").rpartition("@")
        return bool(local) and host.lower().rstrip(".") == self.domain

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.accepts(address):
            logger.info("inbound mail: refused recipient %s from %s", address, session.peer)
            return "550 5.1.1 Mailbox unavailable: this server only takes replies to ticket mail"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.max_size:
            return "552 5.3.4 Message too big"
        self.in_flight += 1
        self._idle.clear()
        try:
            inbound = await sync_to_async(self._store, thread_sensitive=True)(
                raw, list(envelope.rcpt_tos)
            )
        except DatabaseError:
            logger.exception("inbound mail: database error, asking the sender to retry")
            return "451 4.3.0 Temporary failure storing the message, try again later"
        except Exception:
            # Whatever went wrong, a temporary failure keeps the message at the sender.
            logger.exception("inbound mail: could not store a message, asking to retry")
            return "451 4.3.0 Temporary failure storing the message, try again later"
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()
        return f"250 2.0.0 Stored as {inbound.pk}"

    async def wait_idle(self, timeout: float) -> bool:
        """Wait for messages being stored; False when some were still running at the timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


async def serve(
    *,
    host: str,
    port: int,
    max_size: int = MAX_MESSAGE_SIZE,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[list[Any]], None] | None = None,
) -> None:
    """Serve until `stop` is set, or SIGTERM/SIGINT; then finish the messages in flight."""
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    handler = InboundMailHandler(max_size=max_size)

    def session() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=max_size,
            enable_SMTPUTF8=True,
            hostname=settings.SUPPORT_REPLY_DOMAIN,
            ident="Customer Success Hub inbound mail",
            loop=loop,
        )

    server = await loop.create_server(session, host=host, port=port)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sockets = list(server.sockets)
    logger.info(
        "inbound mail: listening on %s for @%s (at most %d bytes a message)",
        ", ".join(str(sock.getsockname()) for sock in sockets),
        handler.domain,
        max_size,
    )
    if on_ready is not None:
        on_ready(sockets)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        logger.info("inbound mail: stopping")
        server.close()
        if not await handler.wait_idle(STOP_GRACE_SECONDS):
            logger.warning("inbound mail: stopped with %d message(s) in flight", handler.in_flight)
        # Idle sessions are dropped (Python 3.13+; on 3.12 asyncio.run cancels them at exit).
        close_clients = getattr(server, "close_clients", None)
        if close_clients is not None:
            close_clients()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)
    logger.info("inbound mail: stopped")
