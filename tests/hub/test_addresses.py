"""Remembered addresses are the addresses Django's ``reverse`` and ``{% url %}`` give, under
every script prefix, and refuse what they refuse."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from hub.accounts.models import User
from hub.addresses import address

# Django's own engine, without the hub's builtins: what {% url %} gave before.
DJANGO = Engine(libraries={})

CASES = [
    "{% url 'support:home' %}",
    "{% url 'hub:area' slug='surveys' %}",
    "{% url 'hub:area' slug=slug %}",
    "{% url 'tickets:detail' number %}",
    "{% url 'support:home' as home %}[{{ home }}]",
    "{% url 'no:such-name' as missing %}[{{ missing }}]",
    "{% url 'admin:tickets_ticket_change' 7 %}",
    "{% url 'admin:hub_user_change' user %}",
]


@pytest.fixture(params=["/", "/portal/"])
def prefix(request: pytest.FixtureRequest) -> object:
    before = get_script_prefix()
    set_script_prefix(request.param)
    yield request.param
    set_script_prefix(before)


@pytest.mark.parametrize("source", CASES)
def test_the_url_tag_writes_what_djangos_writes(source: str, prefix: str) -> None:
    user = User(pk=12, username="someone", email="someone@example.com")
    request = RequestFactory().get("/")
    values = {"slug": "surveys-xm_2", "number": "CS-000042", "user": user, "request": request}
    ours = Template(source)  # the hub's engine, with hub.addresses as a builtin
    assert type(ours.nodelist[0]).__name__ == "RememberedURLNode"
    for _ in range(2):  # the second time, from what was remembered
        drawn = ours.render(Context(values))
        assert drawn == DJANGO.from_string(source).render(Context(values))
        assert prefix in drawn or drawn == "[]"


def test_a_name_that_does_not_reverse_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            Template("{% url 'no:such-name' %}").render(Context({}))
        with pytest.raises(NoReverseMatch):
            address("hub:area", kwargs={"slug": "not a slug/"})
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_an_address_is_what_reverse_gives_whatever_its_arguments(prefix: str) -> None:
    for name, args, kwargs in (
        ("support:home", (), None),
        ("hub:area", (), {"slug": "surveys"}),
        ("tickets:detail", ("CS-000042",), None),
        ("admin:tickets_ticket_change", (7,), None),
    ):
        for _ in range(2):
            assert address(name, args, kwargs) == reverse(name, args=args, kwargs=kwargs)
