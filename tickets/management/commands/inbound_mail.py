"""`manage.py inbound_mail`: the SMTP server that takes replies to ticket mail (R-CONFIRM)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.smtp import MAX_MESSAGE_SIZE, serve


class Command(BaseCommand):
    help = "Serve SMTP for the reply domain until SIGTERM or SIGINT; replies join their tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on.")
        parser.add_argument(
            "--max-size",
            type=int,
            default=MAX_MESSAGE_SIZE,
            help="Largest message accepted, in bytes (bigger ones get 552).",
        )

    def handle(self, *args: Any, host: str, port: int, max_size: int, **options: Any) -> None:
        if max_size <= 0:
            raise CommandError("--max-size must be a positive number of bytes.")
        smtp_log = logging.getLogger("mail.log")
        if smtp_log.level == logging.NOTSET and options["verbosity"] < 2:
            # aiosmtpd logs every SMTP command at INFO; our own line per message is enough.
            smtp_log.setLevel(logging.WARNING)
        try:
            asyncio.run(serve(host=host, port=port, max_size=max_size))
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
