"""Read-only fieldsets of the admin's change pages, drawn in Python.

A ticket's change page shows about thirty read-only fields; through
``admin/includes/fieldset.html`` each costs some twenty template nodes, which took close to
half of the page's time. ``readonly_fieldset`` writes the markup that template writes for a
fieldset whose every field is read-only (same elements, classes and ids; whitespace aside),
and nothing for any other fieldset, which the template then draws.
"""

from __future__ import annotations

from django import template
from django.contrib.admin.helpers import AdminReadonlyField, Fieldset
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _field(field: AdminReadonlyField, *, alone: bool) -> SafeString:
    name, hidden = field.field["name"], field.field["is_hidden"]
    classes = "flex-container"
    if not alone:
        classes += " fieldBox" + (f" field-{name}" if name else "") + (" hidden" if hidden else "")
    help_text = field.field["help_text"]
    help_html = (
        format_html(
            '<div class="help{}"><div>{}</div></div>',
            " hidden" if hidden else "",
            mark_safe(help_text),  # as the template's |safe: help texts are ours
        )
        if help_text
        else ""
    )
    return format_html(
        '<div class="{}">{}{}<div class="readonly">{}</div></div>',
        classes,
        field.label_tag(),
        help_html,
        field.contents(),
    )


@register.simple_tag
def readonly_fieldset(fieldset: Fieldset, prefix: str, id_prefix: object, id_suffix: object) -> str:
    """The fieldset at heading level 2, or "" when it is not wholly read-only."""
    if fieldset.is_collapsible or fieldset.description:
        return ""
    lines = []
    for line in fieldset:
        fields = [field for field in line if isinstance(field, AdminReadonlyField)]
        if len(fields) != len(line.fields):
            return ""
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
        rows.append(
            format_html(
                '<div class="{}">{}</div>',
                classes,
                format_html_join("", "{}", ((_field(f, alone=alone),) for f in fields)),
            )
        )
    name = getattr(fieldset, "name", None)  # set by Fieldset, not declared on it
    heading_id = f"{prefix}-{id_prefix}-{id_suffix}-heading"
    heading = (
        format_html('<h2 id="{}" class="fieldset-heading">{}</h2>', heading_id, name)
        if name
        else ""
    )
    return format_html(
        '<fieldset class="module aligned {}"{}>{}{}</fieldset>',
        fieldset.classes,
        format_html(' aria-labelledby="{}"', heading_id) if name else "",
        heading,
        mark_safe("".join(rows)),
    )
