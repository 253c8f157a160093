"""Demo data: organisations, users of every role, staff, a roster and a ticket history, on top
of the reference data of ``bootstrap`` (which it runs first).

Idempotent: running it again updates what is there and creates what is missing. Every demo
account has the same published password, so it refuses to run with DEBUG off unless told
``--allow-production``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from hub.accounts.models import (
    EnterpriseSeat,
    Environment,
    IdentityProvider,
    IdentityProviderKind,
    LicenceTier,
    Membership,
    Organisation,
    OrganisationDomain,
    StaffRole,
    User,
)
from hub.accounts.services import staff_groups_ensure
from routing.demo import routing_demo_seed
from tickets.demo import demo_tickets_ensure

DEFAULT_PASSWORD = "hub-demo-2026"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    tier: LicenceTier
    environment: Environment
    packages: int
    domain: str
    account_team: tuple[str, str, str]


@dataclass(frozen=True)
class DemoMember:
    email: str
    first_name: str
    last_name: str
    organisation: str
    brand_admin: bool = False
    billing: bool = False
    primary: bool = False
    seat: bool = False
    # Signs in only through the organisation's identity provider (no password here).
    sso: bool = False
    time_zone: str = "Europe/London"
    language: str = "en"


ORGANISATIONS = [
    DemoOrganisation(
        "Acme Research",
        LicenceTier.STANDARD,
        Environment.COMMERCIAL,
        0,
        "acme.example",
        ("Priya Raman", "accounts-acme@hub.example", "+44 20 7946 0018"),
    ),
    DemoOrganisation(
        "Globex",
        LicenceTier.ENTERPRISE,
        Environment.COMMERCIAL,
        1,
        "globex.example",
        ("Marco Bellini", "accounts-globex@hub.example", "+1 303 555 0142"),
    ),
    DemoOrganisation(
        "Solo Studio",
        LicenceTier.SELF_SERVICE,
        Environment.COMMERCIAL,
        0,
        "solo.example",
        ("Self-service desk", "selfservice@hub.example", ""),
    ),
    DemoOrganisation(
        "Federal Agency",
        LicenceTier.ENTERPRISE,
        Environment.FEDRAMP,
        0,
        "agency.example",
        ("Public Sector team", "public-sector@hub.example", "+1 703 555 0199"),
    ),
    DemoOrganisation(
        "Initrode",
        LicenceTier.STANDARD,
        Environment.COMMERCIAL,
        0,
        "initrode.example",
        ("Priya Raman", "accounts-initrode@hub.example", "+44 20 7946 0018"),
    ),
]

# Initrode signs in with SSO at the local OpenID provider of tests/oidc_provider, started by
#   npm ci --prefix tests/oidc_provider && node tests/oidc_provider/server.mjs \
#       tests/oidc_provider/demo.json
# (its accounts and this client are in demo.json). Optional: without it, Initrode's members
# are told their sign-in service cannot be reached; everyone else is unaffected.
DEMO_SSO_ORGANISATION = "Initrode"
DEMO_SSO_ISSUER = "http://127.0.0.1:9100"
DEMO_SSO_CLIENT_ID = "customer-success-hub"
DEMO_SSO_CLIENT_SECRET = "initrode-demo-client-secret"

MEMBERS = [
    DemoMember("standard@acme.example", "Sam", "Carter", "Acme Research"),
    DemoMember("admin@acme.example", "Alex", "Morgan", "Acme Research", brand_admin=True),
    DemoMember("billing@acme.example", "Bea", "Lund", "Acme Research", billing=True),
    DemoMember(
        "ent-admin@globex.example",
        "Elena",
        "Rossi",
        "Globex",
        brand_admin=True,
        time_zone="Europe/Rome",
        language="it",
    ),
    DemoMember(
        "ent-user@globex.example",
        "Eric",
        "Dubois",
        "Globex",
        seat=True,
        time_zone="America/Denver",
    ),
    DemoMember(
        "owner@solo.example",
        "Olivia",
        "Park",
        "Solo Studio",
        brand_admin=True,
        primary=True,
        time_zone="America/New_York",
    ),
    DemoMember(
        "fed@agency.example", "Frank", "Diaz", "Federal Agency", time_zone="America/New_York"
    ),
    DemoMember("sso@initrode.example", "Ines", "Okafor", "Initrode", brand_admin=True, sso=True),
]

# Which Technical Success Manager serves each organisation with Success Packages.
SUCCESS_MANAGERS = {"Globex": "tsm@hub.example"}

STAFF = [
    ("agent@hub.example", "Ana", "Silva", StaffRole.AGENT, False),
    ("tsm@hub.example", "Tom", "Meyer", StaffRole.TSM, False),
    ("supervisor@hub.example", "Sara", "Lindqvist", StaffRole.SUPERVISOR, False),
    ("root@hub.example", "Root", "Admin", None, True),
]


class Command(BaseCommand):
    help = (
        "Run bootstrap, then create or update the demo organisations, users, staff, roster "
        "and ticket history. Refuses to run with DEBUG off unless --allow-production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even with DEBUG off (the demo accounts share one published password)",
        )

    def handle(self, *args: Any, password: str, allow_production: bool, **options: Any) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates demo accounts, staff and "
                f"a superuser that all share one published password ({DEFAULT_PASSWORD!r} "
                "unless --password). A production hub needs only `manage.py bootstrap` and "
                "`manage.py createsuperuser`. To add the demo data anyway (a staging copy, "
                "say), pass --allow-production."
            )
        call_command("bootstrap", stdout=self.stdout._out, stderr=self.stderr._out)
        # One hash for every demo account: the password hasher is slow by design, and two
        # dozen hashes were most of this command's time.
        self._hash = make_password(password)
        # The demo requests' emails run in this process without a broker: Celery's line for
        # every task would bury the one-line summaries of the emails themselves.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            self._seed(password)
        finally:
            trace.setLevel(level)

    def _seed(self, password: str) -> None:
        with transaction.atomic():
            organisations = self._seed_organisations()
            logins = self._seed_members(organisations, password)
            self._seed_identity_provider(organisations[DEMO_SSO_ORGANISATION])
            logins += self._seed_staff(password)
            self._seed_success_managers(organisations)
            roster = routing_demo_seed(password=password)
            requests = demo_tickets_ensure()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        width = max(len(email) for email, _ in logins)
        for email, role in logins:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
        self.stdout.write(
            f"  and {len(roster)} rostered agents covering every language window "
            "(see Routing › Agents in the admin)"
        )
        self.stdout.write(
            f"Ticket history: {len(requests)} demo requests of Acme Research at /hub/tickets/"
        )
        self.stdout.write(f"Password for every demo account: {password}")
        self.stdout.write(
            "Live chat: sign in as agent@hub.example, open /hub/agents/chats/ and press "
            "“Start taking chats”; customers are then offered English chat on weekdays "
            "(Sunday 17:00 to Friday 17:00 Denver) while that page stays open."
        )
        self.stdout.write(
            "SSO accounts sign in at the demo identity provider (optional): "
            "node tests/oidc_provider/server.mjs tests/oidc_provider/demo.json "
            "(its password for them: hub-demo-2026)"
        )

    def _seed_organisations(self) -> dict[str, Organisation]:
        result = {}
        for demo in ORGANISATIONS:
            name, email, phone = demo.account_team
            organisation, _ = Organisation.objects.update_or_create(
                name=demo.name,
                defaults={
                    "licence_tier": demo.tier,
                    "environment": demo.environment,
                    "success_packages": demo.packages,
                    "account_team_name": name,
                    "account_team_email": email,
                    "account_team_phone": phone,
                },
            )
            OrganisationDomain.objects.get_or_create(
                domain=demo.domain, defaults={"organisation": organisation}
            )
            result[demo.name] = organisation
        return result

    def _user(self, email: str, first: str, last: str, password: str, **extra: Any) -> User:
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={"username": email, "first_name": first, "last_name": last, **extra},
        )
        user.password = self._hash
        user.save(update_fields=["password"])
        return user

    def _seed_members(
        self, organisations: dict[str, Organisation], password: str
    ) -> list[tuple[str, str]]:
        logins = []
        for demo in MEMBERS:
            user = self._user(
                demo.email,
                demo.first_name,
                demo.last_name,
                password,
                time_zone=demo.time_zone,
                preferred_language=demo.language,
            )
            if demo.sso:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            organisation = organisations[demo.organisation]
            membership, _ = Membership.objects.update_or_create(
                user=user,
                defaults={
                    "organisation": organisation,
                    "is_brand_admin": demo.brand_admin,
                    "is_billing_contact": demo.billing,
                    "is_primary_contact": demo.primary,
                },
            )
            if demo.seat:
                EnterpriseSeat.objects.get_or_create(
                    user=user, defaults={"organisation": organisation}
                )
            roles = ", ".join(membership.role_labels())
            if demo.seat:
                roles += ", Enterprise Support seat"
            if demo.sso:
                roles += ", signs in with SSO"
            logins.append((demo.email, f"{organisation.name}: {roles}"))
        return logins

    def _seed_identity_provider(self, organisation: Organisation) -> None:
        IdentityProvider.objects.update_or_create(
            organisation=organisation,
            defaults={
                "kind": IdentityProviderKind.OIDC,
                "slug": "initrode",
                "issuer": DEMO_SSO_ISSUER,
                "client_id": DEMO_SSO_CLIENT_ID,
                "client_secret": DEMO_SSO_CLIENT_SECRET,
                "is_enabled": True,
            },
        )

    def _seed_success_managers(self, organisations: dict[str, Organisation]) -> None:
        for name, email in SUCCESS_MANAGERS.items():
            organisation = organisations[name]
            organisation.technical_success_manager = User.objects.get(email=email)
            organisation.save(update_fields=["technical_success_manager"])

    def _seed_staff(self, password: str) -> list[tuple[str, str]]:
        groups = staff_groups_ensure()
        logins = []
        for email, first, last, role, superuser in STAFF:
            user = self._user(email, first, last, password, is_staff=True, is_superuser=superuser)
            if role is not None:
                user.groups.set([groups[role]])
            logins.append((email, str(role.label) if role is not None else "superuser"))
        return logins
