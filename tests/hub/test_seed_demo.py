from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command

from hub.accounts.models import EnterpriseSeat, Membership, Organisation, User
from routing.models import ProductArea

DEMO_LOGINS = [
    "standard@acme.example",
    "admin@acme.example",
    "billing@acme.example",
    "ent-admin@globex.example",
    "ent-user@globex.example",
    "owner@solo.example",
    "fed@agency.example",
    "agent@hub.example",
    "tsm@hub.example",
    "root@hub.example",
]


@pytest.mark.smoke
@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_every_login() -> None:
    out = io.StringIO()
    password = ["--password", "a-demo-password-2026"]
    call_command("seed_demo", "--allow-production", *password, stdout=out)
    counts = (User.objects.count(), Membership.objects.count(), ProductArea.objects.count())
    call_command("seed_demo", "--allow-production", *password, stdout=io.StringIO())
    assert (User.objects.count(), Membership.objects.count(), ProductArea.objects.count()) == counts
    for email in DEMO_LOGINS:
        assert email in out.getvalue()
        assert authenticate(username=email, password="a-demo-password-2026") is not None


@pytest.mark.django_db
def test_seed_demo_gives_each_actor_the_role_the_spec_names() -> None:
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    acme = Organisation.objects.get(name="Acme Research")
    globex = Organisation.objects.get(name="Globex")
    assert acme.licence_tier == "standard"
    assert (globex.licence_tier, globex.success_packages) == ("enterprise", 1)
    assert globex.technical_success_manager is not None
    assert globex.technical_success_manager.email == "tsm@hub.example"
    assert Organisation.objects.get(name="Solo Studio").licence_tier == "self_service"
    assert Organisation.objects.get(name="Federal Agency").environment == "fedramp"
    assert Membership.objects.get(user__email="standard@acme.example").is_standard_user
    assert Membership.objects.get(user__email="admin@acme.example").is_brand_admin
    assert Membership.objects.get(user__email="billing@acme.example").is_billing_contact
    owner = Membership.objects.get(user__email="owner@solo.example")
    assert owner.is_brand_admin and owner.is_primary_contact
    assert EnterpriseSeat.objects.filter(user__email="ent-user@globex.example").exists()
    assert User.objects.get(email="root@hub.example").is_superuser
    assert User.objects.get(email="agent@hub.example").groups.filter(name="Support agents").exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_eleven_areas_with_pictures_and_translations() -> None:
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    areas = list(ProductArea.objects.prefetch_related("translations"))
    assert len(areas) == 11
    assert len({area.picture for area in areas}) == 11
    discover = ProductArea.objects.get(slug="xm-discover")
    assert discover.redirects_to_discover
    for area in areas:
        interface = {code for code, _name in settings.LANGUAGES} - {"en"}
        assert {t.language for t in area.translations.all()} == interface


@pytest.mark.smoke
@pytest.mark.django_db
def test_seed_demo_gives_acme_a_ticket_history_once() -> None:
    from tickets.models import CallbackRequest, Ticket

    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    tickets = Ticket.objects.filter(organisation__name="Acme Research")
    assert tickets.count() == 4
    assert set(tickets.values_list("status", flat=True)) == {
        "waiting_on_customer", "queued", "solved", "closed",
    }  # fmt: skip
    assert CallbackRequest.objects.filter(ticket__in=tickets, taken_at__isnull=True).count() == 1
    waiting = tickets.get(status="waiting_on_customer")
    assert waiting.events.filter(kind="comment", data__by_staff=True).count() == 1
