"""The demo's SSO organisation matches the demo identity provider of tests/oidc_provider."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from hub.accounts.models import IdentityProvider, User

DEMO_PROVIDER = Path(__file__).resolve().parents[1] / "oidc_provider" / "demo.json"


@pytest.mark.django_db
def test_seed_demo_adds_an_sso_organisation_that_the_demo_provider_knows() -> None:
    out = io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out)
    provider = IdentityProvider.objects.select_related("organisation").get(slug="initrode")
    config = json.loads(DEMO_PROVIDER.read_text())
    (client,) = config["clients"]
    assert provider.organisation.name == "Initrode" and provider.is_enabled
    assert provider.issuer == f"http://127.0.0.1:{config['port']}"
    assert (provider.client_id, provider.client_secret) == (
        client["client_id"],
        client["client_secret"],
    )
    assert "http://127.0.0.1:8000/accounts/sso/initrode/callback/" in client["redirect_uris"]
    member = User.objects.get(email="sso@initrode.example")
    assert member.email in config["accounts"]
    assert not member.has_usable_password()
    assert member.membership.organisation == provider.organisation
    assert "sso@initrode.example" in out.getvalue()
    assert "tests/oidc_provider/server.mjs" in out.getvalue()
