"""The rows of an admin changelist, drawn in Python once per column rather than per cell.

Django's ``result_list`` looks each cell up afresh (``lookup_field``, the field's choices,
the change URL reversed for every row) and joins the cells through a template loop; on the
agents' ticket list that was half of the page's time. ``fast_result_list`` works out once
per page how each column is read and drawn, then writes every row as one string holding the
same cells Django writes (same elements, classes, links and values). A changelist it does
not know how to draw the same way (editable columns, popups, a ``to_field``, a column that
is neither a model field nor a method) is left to Django's own ``result_list``.

A method column may name, with ``page_writer``, a function that makes its cell writer once
per page: what is the same for every row (the agent's words and zone, the moment the page is
drawn) is then looked up once rather than 50 times.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as html_escape
from typing import Any, TypeVar
from urllib.parse import quote as url_quote

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_hidden_fields,
    result_list,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (  # type: ignore[attr-defined]  # not in the stubs
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import Parser, Token
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from hub.escaping import escaped

register = template.Library()

# Stands for the row's primary key in the change URL reversed once per page.
_PK_MARK = "__row_pk__"
# What reverse() leaves unencoded in a path argument.
_PATH_SAFE = "!$&'()*+,;=/~:@"


_Method = TypeVar("_Method", bound=Callable[..., Any])


def page_writer(make: Callable[[], Callable[[Any], Any]]) -> Callable[[_Method], _Method]:
    """Marks an admin column's method as drawn, on a page of rows, by the cell writer that
    ``make()`` returns, made once per page. The writer must give what the method gives for
    every row: Django, and every other page, call the method itself."""

    def mark(method: _Method) -> _Method:
        method.page_writer = make  # type: ignore[attr-defined]
        return method

    return mark


@dataclass(frozen=True)
class _Column:
    tag: str  # "th" for the column that links to the change page, else "td"
    classes: str  # the cell's classes, "nowrap" aside when it depends on the value
    draw: Callable[[Any], tuple[Any, bool]]  # the row -> (what to show, whether nowrap)
    link: bool


def _method_column(attr: Any, empty: str) -> Callable[[Any], tuple[Any, bool]]:
    boolean = getattr(attr, "boolean", False)
    empty = getattr(attr, "empty_value_display", empty)
    make = getattr(attr, "page_writer", None)
    write = attr if make is None else make()

    def draw(row: Any) -> tuple[Any, bool]:
        value = write(row)
        # Text, as display_for_value shows it (safe text as it is, other text stripped, the
        # empty text as empty), without its imports and checks on every cell.
        if isinstance(value, str) and not boolean:
            if isinstance(value, SafeString):
                return (value or empty), False
            return (value.strip() or empty), False
        nowrap = isinstance(value, (datetime.date, datetime.time))
        return display_for_value(value, empty, boolean), nowrap

    return draw


def _field_column(
    field: models.Field[Any, Any], empty: str, link: bool
) -> Callable[[Any], tuple[Any, bool]] | None:
    if field.auto_created:
        return None
    nowrap = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
    name = field.name
    if isinstance(field.remote_field, models.ManyToOneRel):

        def related(row: Any) -> tuple[Any, bool]:
            value = getattr(row, name)
            return (empty if value is None else value), nowrap

        return related
    if getattr(field, "flatchoices", None):
        try:
            labels = {value: str(label) for value, label in field.flatchoices}
        except TypeError:
            return None

        def chosen(row: Any) -> tuple[Any, bool]:
            return labels.get(getattr(row, name), empty), nowrap

        return chosen

    is_text = type(field) in (models.CharField, models.TextField)

    def plain(row: Any) -> tuple[Any, bool]:
        value = getattr(row, name)
        # A text field's text, as display_for_field shows it (stripped, the empty as empty),
        # without its checks of the field's type on every cell.
        if is_text and type(value) is str:
            return (value.strip() or empty), nowrap
        return display_for_field(value, field, empty, avoid_link=link), nowrap

    return plain


def _columns(cl: ChangeList) -> list[_Column] | None:
    """How each column is drawn, or None where only Django's own drawing is right."""
    if cl.formset or cl.is_popup or cl.to_field or cl.list_display_links is None:
        return None
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    columns = []
    first = True
    for name in cl.list_display:
        if not isinstance(name, str) or "__" in name or name == "__str__":
            return None
        link = (first and not cl.list_display_links) or name in cl.list_display_links
        draw: Callable[[Any], tuple[Any, bool]] | None
        classes = f"field-{name}"
        # As lookup_field reads a column: a model field first, then a method of the admin.
        try:
            field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if not hasattr(model_admin, name):
                return None
            draw = _method_column(getattr(model_admin, name), empty)
            if name == "action_checkbox":
                classes = "action-checkbox"
        else:
            draw = _field_column(field, empty, link)
        if draw is None:
            return None
        tag = "td"
        if link:
            tag = "th" if first else "td"
            first = False
        columns.append(_Column(tag=tag, classes=classes, draw=draw, link=link))
    return columns


def _change_url(cl: ChangeList) -> str | None:
    """The change page's URL with the row's key to put in, and the list's filters kept."""
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_PK_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    return str(
        add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    )


def rows(cl: ChangeList) -> list[SafeString] | None:
    """Every row of the page, each as the cells Django's ``items_for_result`` writes, or None
    for a changelist only Django draws right."""
    columns = _columns(cl)
    if columns is None:
        return None
    link_url = _change_url(cl) if any(column.link for column in columns) else None
    if link_url is not None:
        link_url = str(conditional_escape(link_url))
    drawn = []
    for row in cl.result_list:
        cells = []
        for column in columns:
            shown, nowrap = column.draw(row)
            classes = f"{column.classes} nowrap" if nowrap else column.classes
            text = escaped(shown)
            if column.link and link_url is not None:
                # As reverse() would put the admin-quoted key into the path.
                key = url_quote(str(quote(getattr(row, cl.pk_attname))), safe=_PATH_SAFE)
                key = html_escape(key)
                text = f'<a href="{link_url.replace(_PK_MARK, key)}">{text}</a>'
            cells.append(f'<{column.tag} class="{classes}">{text}</{column.tag}>')
        drawn.append(mark_safe("".join(cells)))
    return drawn


def fast_result_list(cl: ChangeList) -> dict[str, Any]:
    """``result_list``'s context, with every row drawn by ``rows`` where it can be.

    Django's template writes ``<tr>``, a result's items and ``</tr>`` for each result; given
    the page's 50 results it looked each one's form and items up, about a tenth of the
    page's drawing. So the drawn rows come as one result of one item, joined by
    ``</tr><tr>``: the template writes the same rows once."""
    drawn = rows(cl)
    if drawn is None:
        return result_list(cl)
    headers = list(result_headers(cl))
    body = mark_safe("</tr>\n<tr>".join(drawn))  # noqa: S308 - rows() escapes every cell
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [ResultList(None, [body])] if drawn else [],
    }


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser: Parser, token: Token) -> InclusionAdminNode:
    return InclusionAdminNode(
        "result_list",
        parser,
        token,
        func=fast_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
