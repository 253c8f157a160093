"""Email in development: one line per message on the console, not the raw message.

With DEBUG on and no EMAIL_URL (``make run``), the demo data alone sends dozens of messages;
printed whole they bury the logins and the address of the hub. Each message is summarised as
its recipients, its subject and the first link to the hub in its text (a password reset, a
ticket), which is what a developer looks for. ``EMAIL_URL=consolemail://`` prints them whole.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

LINK = re.compile(r"https?://\S+")


def summary(message: EmailMessage) -> str:
    """``to a@example, b@example · Subject · http://first/link``"""
    recipients = ", ".join(message.recipients()) or "nobody"
    subject = " ".join(str(message.subject).split())
    parts = [f"to {recipients}", subject]
    body = message.body if isinstance(message.body, str) else ""
    site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    links = [link.rstrip(".,;:)>\"'") for link in LINK.findall(body)]
    hub_links = [link for link in links if site and link.startswith(site)]
    if hub_links:
        parts.append(hub_links[0])
    return "Email " + " · ".join(parts)


class SummaryConsoleBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.stream: TextIO = kwargs.pop("stream", sys.stdout)
        self._lock = threading.RLock()
        super().__init__(**kwargs)
        self.fail_silently = fail_silently

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                try:
                    self.stream.write(summary(message) + "\n")
                    self.stream.flush()
                except Exception:
                    if not self.fail_silently:
                        raise
                    continue
                sent += 1
        return sent
