"""Media drawn once per process is what Django's ``{% csp_nonce_attr %}`` draws, each page
with its own nonce."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.widgets import Script, Stylesheet
from django.template import Context, Engine, Template
from django.test import override_settings
from django.utils import csp
from django.utils.html import format_html

# Django's own engine, without the hub's builtins: what the tag gave before.
DJANGO = Engine(libraries={})


class _DrawnItsOwnWay:
    """An asset that draws itself: such media is drawn afresh every time."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return format_html('<script src="/{}"></script>', self.text)


def _media() -> list[forms.Media]:
    class Calendar(forms.Widget):
        class Media:
            js = ["admin/js/calendar.js", Script("admin/js/core.js", defer=True)]
            css = {"all": ["admin/css/widgets.css"], "print": ["admin/css/base.css"]}

    class Clock(forms.Widget):
        class Media:
            js = ["admin/js/core.js", "admin/js/actions.js"]

    return [
        Calendar().media,
        Calendar().media + Clock().media,
        (Calendar().media + Clock().media)["js"],
        forms.Media(css={"screen": [Stylesheet("admin/css/forms.css", title="Forms")]}),
        forms.Media(),
    ]


SOURCES = ["{% csp_nonce_attr media %}", "{% csp_nonce_attr media.js %}", "{% csp_nonce_attr %}"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("nonce", ["first-nonce", 'odd<"nonce>', None])
def test_the_tag_draws_what_djangos_draws_with_each_pages_nonce(
    source: str, nonce: str | None
) -> None:
    ours = Template(source)  # the hub's engine, with hub.page_media as a builtin
    for media in _media():
        for _ in range(2):  # the second time, from the drawing kept
            values: dict[str, Any] = {"media": media}
            if nonce is not None:
                values[csp.CONTEXT_KEY] = nonce
            drawn = ours.render(Context(values))
            assert drawn == DJANGO.from_string(source).render(Context(values))
            assert "\x00" not in drawn
    if nonce is not None and source != "{% csp_nonce_attr %}":
        # A drawing kept with one page's nonce shows another page's own.
        media = _media()[1]
        for other in ("second-nonce", "third-nonce"):
            values = {"media": media, csp.CONTEXT_KEY: other}
            drawn = ours.render(Context(values))
            assert drawn == DJANGO.from_string(source).render(Context(values))
            assert f'nonce="{other}"' in drawn and nonce not in drawn


def test_media_with_assets_that_draw_themselves_are_drawn_every_time() -> None:
    ours = Template("{% csp_nonce_attr media %}")
    asset = _DrawnItsOwnWay("first.js")
    media = forms.Media(js=[asset, "admin/js/core.js"])
    first = ours.render(Context({"media": media, csp.CONTEXT_KEY: "n"}))
    asset.text = "second.js"
    second = ours.render(Context({"media": media, csp.CONTEXT_KEY: "n"}))
    assert '"/first.js"' in first and '"/second.js"' in second


def test_a_new_static_address_is_drawn_anew() -> None:
    ours = Template("{% csp_nonce_attr media %}")
    media = forms.Media(js=["admin/js/core.js"])
    before = ours.render(Context({"media": media}))
    with override_settings(
        STATIC_URL="https://cdn.example/static/",
        STORAGES={
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        },
    ):
        moved = ours.render(Context({"media": media}))
    assert moved == '<script src="https://cdn.example/static/admin/js/core.js"></script>'
    assert ours.render(Context({"media": media})) == before
