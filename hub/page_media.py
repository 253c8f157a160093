"""Forms' and the admin's media drawn once per process, and the ``{% csp_nonce_attr %}`` tag
that uses them.

Django's tag draws a page's media afresh on every request: each script's and stylesheet's
address worked out and its tag written. The admin's ticket list names eight scripts, which
cost about 300 microseconds a page. What is drawn depends only on the media's files (each
with its attributes), on the static files' addresses and on whether the page has a CSP
nonce; the nonce itself changes with every request. So the media is drawn once, with a mark
where the nonce goes, and each page puts its own nonce in place of the mark.

Media holding anything but Django's own ``Script`` and ``Stylesheet`` (an object that draws
itself) is drawn every time, as Django draws it. The tag is installed as a template builtin
(``TEMPLATES`` in settings); without media it is Django's.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django import template
from django.forms.widgets import Media, Script, Stylesheet
from django.template.context import Context
from django.utils import csp
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hub.drawings import Drawings

register = template.Library()

# Stands for the nonce in the drawing kept; escaping leaves it as it is, and no address or
# attribute holds it.
_NONCE_MARK = "\x00nonce\x00"
_DRAWN_ALIKE = (Script, Stylesheet)


def media_key(media: Media) -> tuple[Hashable, ...] | None:
    """What the media's drawing depends on, or None if it holds anything drawn otherwise.

    The lists as the media holds them, before their merge: the same lists merge alike."""
    js_lists = tuple(tuple(assets) for assets in media._js_lists)  # type: ignore[attr-defined]
    css_lists = tuple(
        tuple((medium, tuple(assets)) for medium, assets in sorted(by_medium.items()))
        for by_medium in media._css_lists  # type: ignore[attr-defined]
    )
    for assets in js_lists:
        if any(type(asset) not in _DRAWN_ALIKE for asset in assets):
            return None
    for by_medium in css_lists:
        for _medium, assets in by_medium:
            if any(type(asset) not in _DRAWN_ALIKE for asset in assets):
                return None
    return (js_lists, css_lists)


# Drawings by media key and whether there is a nonce. The addresses come from the static
# files' settings, which tests change.
_drawings: Drawings[tuple[Hashable, bool], str] = Drawings(
    256, settings=frozenset({"STATIC_URL", "STORAGES", "STATIC_ROOT"})
)


def _drawn(key: tuple[Hashable, ...], media: Media, with_nonce: bool) -> str:
    return _drawings.get(
        (key, with_nonce),
        lambda: str(media.render(attrs={"nonce": _NONCE_MARK} if with_nonce else None)),
    )


def media_with_nonce(media: Media, nonce: str | None) -> SafeString:
    """``media.render(attrs={"nonce": nonce})`` (no attribute without a nonce), remembered."""
    key = media_key(media) if type(media) is Media else None
    try:
        drawn = None if key is None else _drawn(key, media, nonce is not None)
    except TypeError:  # an attribute's value that cannot be a key
        drawn = None
    if drawn is None:
        return mark_safe(media.render(attrs={"nonce": nonce} if nonce is not None else None))
    if nonce is None:
        return mark_safe(drawn)
    return mark_safe(drawn.replace(_NONCE_MARK, escape(nonce)))


@register.simple_tag(takes_context=True)
def csp_nonce_attr(context: Context, media: Any = None) -> str:
    """Django's ``{% csp_nonce_attr %}``, media drawn once (see the module's docstring)."""
    if not isinstance(media, Media):
        return csp.nonce_attr(context, media)
    nonce = context.get(csp.CONTEXT_KEY)
    return media_with_nonce(media, None if nonce is None else str(nonce))
