"""A production database starts with ``bootstrap``: the reference data and the shipped
knowledge base, no demo data; a second run changes nothing. ``seed_demo`` (the demo accounts
with their published password) refuses to run with DEBUG off unless told to."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import CommandError, call_command
from django.test import Client

from chatbot.models import Article, ArticleVersion, Passage, Synonym
from chatbot.services import conversation_first_ask
from hub.accounts.models import Organisation, User
from hub.accounts.services import STAFF_PERMISSIONS
from routing.models import LanguageWindow, ProductArea, ProductAreaTranslation, ServiceWindow

REFERENCE_MODELS: list[Any] = [
    ProductArea,
    ProductAreaTranslation,
    Group,
    ServiceWindow,
    LanguageWindow,
    Synonym,
    Article,
    ArticleVersion,
]


def _reference_data() -> dict[str, Any]:
    """Every row of the reference data, as it is stored."""
    rows = {
        model.__name__: json.loads(serializers.serialize("json", model.objects.order_by("pk")))
        for model in REFERENCE_MODELS
    }
    rows["Passage"] = list(
        Passage.objects.order_by("pk").values_list("pk", "version_id", "position", "embedding")
    )
    rows["Group permissions"] = [
        (group.name, sorted(group.permissions.values_list("codename", flat=True)))
        for group in Group.objects.order_by("name")
    ]
    return rows


@pytest.mark.smoke
@pytest.mark.django_db
def test_bootstrap_on_an_empty_database_gives_a_working_hub_without_demo_data(
    client: Client,
) -> None:
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert "Reference data is ready." in out.getvalue()
    assert not User.objects.exists() and not Organisation.objects.exists()
    assert ProductArea.objects.filter(is_active=True).count() == 11
    groups = {group.name: group for group in Group.objects.all()}
    for role, codes in STAFF_PERMISSIONS.items():
        assert groups[role.value].permissions.count() == len(codes)
    assert ServiceWindow.objects.exists() and LanguageWindow.objects.filter(language="it").exists()
    # The knowledge base is loaded and indexed, with the shipped embeddings.
    assert Article.objects.filter(is_published=True).count() > 30
    assert not ArticleVersion.objects.filter(indexed_hash="").exists()
    # English passages are embedded (the model reads English only); the others are not.
    assert not Passage.objects.filter(language="en", embedding__isnull=True).exists()
    assert not Passage.objects.exclude(language="en").filter(embedding__isnull=False).exists()
    assert client.get("/support/").status_code == 200
    article = Article.objects.filter(is_published=True).first()
    assert article is not None
    assert client.get(article.get_absolute_url()).status_code == 200

    # The first admin comes from createsuperuser; a member then asks the assistant.
    call_command(
        "createsuperuser",
        "--no-input",
        username="admin@hub.example",
        email="admin@hub.example",
        stdout=io.StringIO(),
    )
    admin = User.objects.get(email="admin@hub.example")
    assert admin.is_superuser and admin.is_staff
    turn = conversation_first_ask(
        user=admin,
        surface="knowledge_base",
        language="en",
        question="How do I send a reminder to people who have not answered my survey?",
    )
    # The right article comes first, quoted: the embedded path (SQLite) reads the question
    # as PostgreSQL does (its stop words, prefixes of stems), so the same bars hold on both.
    assert turn.sections and turn.sections[0]["slug"] == "survey-email-invitations-reminders"
    assert turn.answered


@pytest.mark.django_db
def test_bootstrap_twice_changes_nothing() -> None:
    call_command("bootstrap", stdout=io.StringIO())
    before = _reference_data()
    again = io.StringIO()
    call_command("bootstrap", stdout=again)
    assert _reference_data() == before
    assert "0 created, 0 updated" in again.getvalue()
    assert "indexed" not in again.getvalue()


@pytest.mark.django_db
def test_bootstrap_keeps_the_hours_an_operator_has_set() -> None:
    call_command("bootstrap", stdout=io.StringIO())
    italian = LanguageWindow.objects.filter(language="it")
    italian.exclude(pk=italian.order_by("pk").first().pk).delete()  # type: ignore[union-attr]
    call_command("bootstrap", stdout=io.StringIO())
    assert LanguageWindow.objects.filter(language="it").count() == 1


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off_unless_told(settings: Any) -> None:
    settings.DEBUG = False
    before = (User.objects.count(), ProductArea.objects.count())
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", stdout=io.StringIO())
    # Refused before it touches anything (whatever rows earlier tests left in place).
    assert (User.objects.count(), ProductArea.objects.count()) == before
