"""HTML escaping for pages drawn in Python, without Django's cost per call.

Django's ``escape`` and ``conditional_escape`` first check every argument for lazy text
(``keep_lazy``), which costs more than escaping a short value: a page that writes its rows
in Python escapes hundreds of values.
"""

from __future__ import annotations

import html


def escaped(value: object) -> str:
    """``conditional_escape(value)`` as text: safe text (``__html__``) as it is, anything
    else, lazy text included, made text and escaped as ``escape`` does."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
