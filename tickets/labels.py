"""The labels of a row's choice fields, looked up in a table built once per process.

``Model.get_FOO_display()`` rebuilds a hashable copy of the field's choices on every call,
translating every label to hash it: about 20 gettext calls for one label. Pages that show a
few labels per row (the admin's ticket list, the ticket page, its timeline) and the emails
look them up here instead, translated once per language; the result is the same string.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import get_language


@cache
def _labels(model: type[models.Model], field_name: str) -> dict[Any, Any]:
    # The choices are the model's own (enumerations and settings), fixed for the process.
    return dict(model._meta.get_field(field_name).flatchoices)  # type: ignore[union-attr]


@lru_cache(maxsize=256)
def _labels_in(model: type[models.Model], field_name: str, language: str | None) -> dict[Any, str]:
    # Called with ``language`` active: the catalogues are fixed for the process too.
    return {value: force_str(label) for value, label in _labels(model, field_name).items()}


def choice_label(row: models.Model, field_name: str) -> str:
    """What ``row.get_<field_name>_display()`` returns, for a field that is never null."""
    return choice_value_label(type(row), field_name, getattr(row, field_name))


def choice_value_label(model: type[models.Model], field_name: str, value: object) -> str:
    """The label of one value of a choice field in the current language, as a row holding
    it would display it; a value that is not one of the choices, as text."""
    return _label(_labels_in(model, field_name, get_language()), value)


def choice_labeller(model: type[models.Model], field_name: str) -> Callable[[Any], str]:
    """``choice_label`` for the rows of one page: the labels looked up once, in the current
    language."""
    labels = _labels_in(model, field_name, get_language())

    def label(row: Any) -> str:
        return _label(labels, getattr(row, field_name))

    return label


def _label(labels: dict[Any, str], value: object) -> str:
    found = labels.get(value)
    return force_str(value) if found is None else found
