"""Email in development is one console line per message: to, subject, the link to the hub."""

from __future__ import annotations

import io
from typing import Any

from django.core.mail import EmailMultiAlternatives

from hub.console_mail import SummaryConsoleBackend


def test_each_email_is_one_line_with_its_recipients_subject_and_hub_link(settings: Any) -> None:
    settings.SITE_URL = "http://127.0.0.1:8123"
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        subject="[CS-000001] We have your\n request",
        body=(
            "Hello,\n\nSee https://docs.example/help and your request at "
            "http://127.0.0.1:8123/hub/tickets/CS-000001/.\n\nThe support team\n" * 20
        ),
        to=["sam@acme.example"],
        cc=["alex@acme.example"],
    )
    message.attach_alternative("<p>The same, in HTML</p>" * 50, "text/html")
    sent = SummaryConsoleBackend(stream=stream).send_messages([message, message])
    assert sent == 2
    lines = stream.getvalue().splitlines()
    assert (
        lines
        == [
            "Email to sam@acme.example, alex@acme.example · [CS-000001] We have your request · "
            "http://127.0.0.1:8123/hub/tickets/CS-000001/"
        ]
        * 2
    )
