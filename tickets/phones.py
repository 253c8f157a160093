"""Phone numbers as people read them, wherever the hub shows one."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


def phone_number_display(e164: str) -> str:
    """A number as people read it: international format, with spaces (+39 06 1234 5678)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
