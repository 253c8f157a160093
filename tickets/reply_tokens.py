"""Signed per-ticket reply addresses and Message-IDs, so a reply finds its ticket (R-CONFIRM).

Lower-case hex only: mail systems may fold the case of an address's local part.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "tickets.reply-address"
_TOKEN = re.compile(r"(cs-\d{6,})\.([0-9a-f]{20})", re.IGNORECASE)


def _signature(number: str, secret: str | None = None) -> str:
    return salted_hmac(_SALT, number.lower(), secret=secret, algorithm="sha256").hexdigest()[:20]


def _valid(number: str, signature: str) -> bool:
    """Signed with the current key, or a retired one: replies to old mail keep working."""
    secrets_in_use = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(signature.lower(), _signature(number, secret))
        for secret in secrets_in_use
    )


def reply_token(number: str) -> str:
    return f"{number.lower()}.{_signature(number)}"


def reply_address(number: str) -> str:
    return f"reply+{reply_token(number)}@{settings.SUPPORT_REPLY_DOMAIN}"


def message_id(number: str, purpose: str) -> str:
    return (
        f"<{reply_token(number)}.{purpose}.{secrets.token_hex(6)}@{settings.SUPPORT_REPLY_DOMAIN}>"
    )


def numbers_in(text: str) -> list[str]:
    """Ticket numbers whose signed token appears in an address or a header; forgeries drop out."""
    found = []
    for number, signature in _TOKEN.findall(text or ""):
        if _valid(number, signature):
            found.append(number.upper())
    return found
