"""The labels of a row's choice fields, looked up in a table built once per process.

``Model.get_FOO_display()`` rebuilds a hashable copy of the field's choices on every call,
translating every label to hash it: about 20 gettext calls for one label. Pages that show a
few labels per row (the admin's ticket list, the ticket page) look them up here instead; the
result is the same string.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.utils.encoding import force_str


@cache
def _labels(model: type[models.Model], field_name: str) -> dict[Any, Any]:
    # The choices are the model's own (enumerations and settings), fixed for the process.
    return dict(model._meta.get_field(field_name).flatchoices)  # type: ignore[union-attr]


def choice_label(row: models.Model, field_name: str) -> str:
    """What ``row.get_<field_name>_display()`` returns, for a field that is never null."""
    value = getattr(row, field_name)
    return force_str(_labels(type(row), field_name).get(value, value))
