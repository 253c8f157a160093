"""Demo data: organisations, users of every role, staff, and the eleven product areas.

Idempotent: running it again updates what is there and creates what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from hub.models import (
    EnterpriseSeat,
    Environment,
    LicenceTier,
    Membership,
    Organisation,
    OrganisationDomain,
    StaffRole,
    User,
)
from hub.services import staff_groups_ensure
from routing.services import product_areas_ensure_defaults

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
]

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
]

STAFF = [
    ("agent@hub.example", "Ana", "Silva", StaffRole.AGENT, False),
    ("tsm@hub.example", "Tom", "Meyer", StaffRole.TSM, False),
    ("root@hub.example", "Root", "Admin", None, True),
]


class Command(BaseCommand):
    help = "Create or update the demo organisations, users, staff and product areas."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD)

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        with transaction.atomic():
            product_areas_ensure_defaults()
            organisations = self._seed_organisations()
            logins = self._seed_members(organisations, password)
            logins += self._seed_staff(password)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        width = max(len(email) for email, _ in logins)
        for email, role in logins:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
        self.stdout.write(f"Password for every demo account: {password}")

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
        user.set_password(password)
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
            logins.append((demo.email, f"{organisation.name}: {roles}"))
        return logins

    def _seed_staff(self, password: str) -> list[tuple[str, str]]:
        groups = staff_groups_ensure()
        logins = []
        for email, first, last, role, superuser in STAFF:
            user = self._user(email, first, last, password, is_staff=True, is_superuser=superuser)
            if role is not None:
                user.groups.set([groups[role]])
            logins.append((email, str(role.label) if role is not None else "superuser"))
        return logins
