"""Remembered translations are what Django's ``{% translate %}`` writes, in every language,
escaped or not, however many times a template is drawn."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.template import Context, Engine, engines
from django.template.backends.django import get_template_tag_modules
from django.utils import translation

# Django's own i18n library, and the hub's under the same name (settings' TEMPLATES).
DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})
HUB = Engine(libraries={"i18n": "hub.translations"})

CASES = [
    '{% translate "Status" %}',
    "{% translate 'Status' %} / {% trans \"Contact Support\" %}",
    '{% translate "Sunday" %} · {% translate "Sunday" context "day of the week" %}',
    '{% translate "Monday" context "day of the week" %}',
    '{% translate "Status" as heading %}[{{ heading }}]',
    '{% translate "Status" noop %}',
    "{% translate word %}",
    '{% translate "Status"|upper %}',
    '{% translate "Fish & <chips>" %}',
    '{% translate "Tea & <cake>" as cake %}{{ cake }}',
    '{% autoescape off %}{% translate "Fish & <chips>" %}{% endautoescape %}',
    '{% translate "%(count)d versions queued." %} {% translate "100%% sure" %}',
]


@pytest.mark.parametrize("source", CASES)
def test_the_translate_tag_writes_what_djangos_writes(source: str) -> None:
    theirs = DJANGO.from_string("{% load i18n %}" + source)
    ours = HUB.from_string("{% load i18n %}" + source)
    # Each language twice, and back again: a drawing remembered in one language must not
    # answer for another, nor for the same words escaped differently.
    for language in ("fr", "de", "it", "ja", "en", "fr", "de", "en"):
        with translation.override(language):
            context = {"word": "Status" if language != "de" else "Made"}
            expected = theirs.render(Context(context))
            assert ours.render(Context(context)) == expected, language
            assert ours.render(Context(context)) == expected, language
            assert ours.render(Context(context, autoescape=False)) == theirs.render(
                Context(context, autoescape=False)
            ), language


def test_a_page_switching_language_shows_each_languages_words() -> None:
    page = HUB.from_string('{% load i18n %}<h2>{% translate "Status" %}</h2>')
    words = {}
    for language in ("en", "fr", "it", "en", "fr"):
        with translation.override(language):
            words.setdefault(language, set()).add(page.render(Context()))
    assert words == {"en": {"<h2>Status</h2>"}, "fr": {"<h2>Statut</h2>"}, "it": {"<h2>Stato</h2>"}}


def test_no_template_library_name_stands_for_two_modules_but_i18n() -> None:
    # Django's check (templates.W003), silenced in settings for the one name taken on
    # purpose: any other name given to two modules still fails here.
    modules: dict[str, set[str]] = defaultdict(set)
    for name, path in get_template_tag_modules():
        modules[name].add(path)
    for engine in engines.all():
        for name, path in engine.engine.libraries.items():  # type: ignore[attr-defined]
            modules[name].add(path)
    shared = {name: paths for name, paths in modules.items() if len(paths) > 1}
    assert shared == {"i18n": {"django.templatetags.i18n", "hub.translations"}}
