"""Read-only fieldsets of the admin's change pages, drawn in Python.

A ticket's change page shows about thirty read-only fields; through
``admin/includes/fieldset.html`` each costs some twenty template nodes, which took close to
half of the page's time. ``readonly_fieldset`` writes the markup that template writes for a
fieldset whose every field is read-only (same elements, classes and ids; whitespace aside),
and nothing for any other fieldset, which the template then draws.

The markup is written with f-strings, escaping each value as ``format_html`` would: at thirty
fields a page, ``format_html`` and the lazy-aware ``capfirst`` of Django's ``label_tag`` cost
more than the rest of the drawing. For the same reason each field's label and help text are
worked out once per process (``_described``), not on every page.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django import forms, template
from django.contrib.admin.helpers import AdminReadonlyField, Fieldset
from django.contrib.admin.options import BaseModelAdmin
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from hub.escaping import escaped

register = template.Library()

type FieldName = str | Callable[..., Any]

# (model, admin class, field, language) -> the field's class name, label and help text.
_DESCRIPTIONS: dict[tuple[object, ...], tuple[str, str, str]] = {}


class _DescribedReadonlyField(AdminReadonlyField):
    """Django's read-only field, its label and help text given rather than looked up (its
    ``__init__`` asks the model and the admin for them: most of a field's cost)."""

    def __init__(
        self,
        form: forms.ModelForm,  # type: ignore[type-arg]
        field: FieldName,
        *,
        is_first: bool,
        model_admin: BaseModelAdmin,  # type: ignore[type-arg]
        description: tuple[str, str, str],
        empty_value_display: str,
    ) -> None:
        class_name, label, help_text = description
        self.field = {
            "name": class_name,
            "label": label,
            "help_text": help_text,
            "field": field,
            "is_hidden": False,  # not one of the form's fields
        }
        self.form = form
        self.model_admin = model_admin
        self.is_first = is_first
        self.is_checkbox = False
        self.is_readonly = True
        self.empty_value_display = empty_value_display


def _described(
    form: forms.ModelForm,  # type: ignore[type-arg]
    field: FieldName,
    *,
    is_first: bool,
    model_admin: BaseModelAdmin,  # type: ignore[type-arg]
    empty_value_display: str,
) -> AdminReadonlyField:
    """The read-only field as ``Fieldline`` makes it, its description kept after the first
    time. A form that names its own labels or help texts, or holds the field itself, is left
    to Django every time: the admin makes a new form class for every page, so its class
    cannot be the key. The language is, since one label (``__str__``'s) is translated at once
    rather than lazily."""
    if form._meta.labels or form._meta.help_texts or field in form.fields:
        return AdminReadonlyField(form, field, is_first=is_first, model_admin=model_admin)
    key = (form._meta.model, type(model_admin), field, get_language())
    description = _DESCRIPTIONS.get(key)
    if description is None:
        made = AdminReadonlyField(form, field, is_first=is_first, model_admin=model_admin)
        _DESCRIPTIONS[key] = (made.field["name"], made.field["label"], made.field["help_text"])
        return made
    return _DescribedReadonlyField(
        form,
        field,
        is_first=is_first,
        model_admin=model_admin,
        description=description,
        empty_value_display=empty_value_display,
    )


def _label(field: AdminReadonlyField) -> str:
    """``AdminReadonlyField.label_tag``'s markup: the label capitalised, then escaped."""
    text = str(field.field["label"])
    text = text[:1].upper() + text[1:]
    inline = "" if field.is_first else ' class="inline"'
    return f"<label{inline}>{html.escape(text)}{escaped(field.form.label_suffix)}</label>"


def _field(field: AdminReadonlyField, *, alone: bool) -> str:
    name, hidden = field.field["name"], field.field["is_hidden"]
    classes = "flex-container"
    if not alone:
        classes += " fieldBox" + (f" field-{name}" if name else "") + (" hidden" if hidden else "")
    help_text = field.field["help_text"]
    # As the template's |safe: help texts are ours.
    help_html = (
        f'<div class="help{" hidden" if hidden else ""}"><div>{help_text}</div></div>'
        if help_text
        else ""
    )
    return (
        f'<div class="{html.escape(classes)}">{_label(field)}{help_html}'
        f'<div class="readonly">{field.contents()}</div></div>'
    )


@register.simple_tag
def readonly_fieldset(fieldset: Fieldset, prefix: str, id_prefix: object, id_suffix: object) -> str:
    """The fieldset at heading level 2, or "" when it is not wholly read-only."""
    if fieldset.is_collapsible or fieldset.description:
        return ""
    lines = []
    form, model_admin = fieldset.form, fieldset.model_admin
    if model_admin is None:
        return ""
    empty_value_display = model_admin.get_empty_value_display()
    for line in fieldset:
        # As Fieldline's own iteration, which makes an AdminField of any other field.
        if not all(field in line.readonly_fields for field in line.fields):
            return ""
        fields = [
            _described(
                form,
                field,
                is_first=number == 0,
                model_admin=model_admin,
                empty_value_display=empty_value_display,
            )
            for number, field in enumerate(line.fields)
        ]
        lines.append((line, fields))
    rows = []
    for line, fields in lines:
        alone = len(fields) == 1
        classes = "form-row"
        if not alone:
            classes += " flex-container form-multiline"
        if not line.has_visible_field:
            classes += " hidden"
        classes += "".join(f" field-{f.field['name']}" for f in fields if f.field["name"])
        drawn = "".join(_field(f, alone=alone) for f in fields)
        rows.append(f'<div class="{html.escape(classes)}">{drawn}</div>')
    name = getattr(fieldset, "name", None)  # set by Fieldset, not declared on it
    heading_id = html.escape(f"{prefix}-{id_prefix}-{id_suffix}-heading")
    labelled, heading = "", ""
    if name:
        labelled = f' aria-labelledby="{heading_id}"'
        heading = f'<h2 id="{heading_id}" class="fieldset-heading">{escaped(name)}</h2>'
    return SafeString(
        f'<fieldset class="module aligned {escaped(fieldset.classes)}"{labelled}>'
        f"{heading}{''.join(rows)}</fieldset>"
    )
