"""Idempotency keys: a form gets a fresh one each time it is drawn, so that a double click,
a resent POST or a browser's retry makes one ticket, one comment, one chat message (the
idea of Stripe's idempotency keys). The services look a key up before they write."""

from __future__ import annotations

import re
import uuid

_KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def is_idempotency_key(value: object) -> bool:
    """Whether a posted value is a key one of our forms made (anything else is no key)."""
    return isinstance(value, str) and _KEY_PATTERN.match(value) is not None
