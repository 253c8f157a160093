"""Addresses reversed once per process, and the ``{% url %}`` tag that uses them.

Reversing a URL name costs some fifteen microseconds, and a page names several: its links,
its forms' actions, the steps it leads to. The result depends only on the name, the
arguments, the application namespace, the script prefix and the URLconf, all of which are
in the key, so a remembered address is the address ``reverse`` would give. Arguments other
than plain strings and integers (a model instance, say, whose text may change) are reversed
every time.

The tag is installed as a template builtin (``TEMPLATES`` in settings), so every template's
``{% url %}`` is this one; it is Django's in every other respect.
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_PLAIN = (str, int)


def _plain(values: tuple[Any, ...]) -> bool:
    return all(type(value) in _PLAIN for value in values)


def address(
    name: str,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """``reverse(name, args=args, kwargs=kwargs, current_app=current_app)``, remembered."""
    items = tuple(sorted((kwargs or {}).items()))
    if not (_plain(args) and _plain(tuple(value for _key, value in items))):
        return reverse(name, args=args, kwargs=kwargs, current_app=current_app)
    return _reversed(name, args, items, current_app, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=4096)
def _reversed(
    name: str,
    args: tuple[Any, ...],
    items: tuple[tuple[str, Any], ...],
    current_app: str | None,
    prefix: str,
    urlconf: object,
) -> str:
    # The prefix and the URLconf are what reverse() reads besides its arguments.
    return reverse(name, args=args, kwargs=dict(items), current_app=current_app)


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = address(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    """Django's ``{% url %}``, its addresses remembered (see the module's docstring)."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
