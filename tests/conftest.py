"""Shared actors, built from the demo data's shapes: one of each role, and an outsider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.utils import translation
from django.utils.module_loading import import_string

from hub.accounts.models import (
    EnterpriseSeat,
    Environment,
    LicenceTier,
    Membership,
    Organisation,
    StaffRole,
    User,
)
from hub.accounts.services import staff_groups_ensure
from hub.cache import DegradingRedisCache
from routing import configuration
from routing.models import ProductArea
from routing.services import product_areas_ensure_defaults
from tickets.services import CALLBACKS_WAKE_KEY, CONFIRMATIONS_WAKE_KEY

PASSWORD = "correct-horse-battery-staple"


def connections_waiting_on_a_lock() -> int:
    """How many connections to the test database wait for a lock (PostgreSQL)."""
    with connections["default"].cursor() as cursor:
        # Asked from inside a transaction, which would otherwise keep its first reading.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


_REDIS_CLAIMED = pytest.StashKey[bool]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any test empties it: the Redis database must be the tests' own."""
    from tests.redis_isolation import ForeignRedisData, claim_at_session_start

    try:
        session.config.stash[_REDIS_CLAIMED] = claim_at_session_start()
    except ForeignRedisData as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.redis_isolation import empty_at_session_end

    if session.config.stash.get(_REDIS_CLAIMED, False):
        empty_at_session_end()


# The queries a signed-in request spends on its session once signed in: none when its copy is
# on Redis (hub/sessions.py; nothing is saved unless it changed), one read without Redis.
SESSION_QUERIES = (
    0
    if issubclass(import_string(settings.CACHES["default"]["BACKEND"]), DegradingRedisCache)
    else 1
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright keeps an event loop in the main thread once started,
    which would change how every later test's async-to-sync code behaves."""
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid)


@pytest.fixture(autouse=True)
def _configuration_read_afresh() -> None:
    # A test's rows vanish with its transaction, which sends no signal: each test starts
    # from the database, not from the configuration an earlier test's rows built, nor from
    # help-article listings drawn from them.
    configuration.forget()
    caches["fragments"].clear()
    # A wake-up an earlier test published (or failed to) must not keep this test's
    # submissions from publishing their own.
    caches["default"].delete_many([CALLBACKS_WAKE_KEY, CONFIRMATIONS_WAKE_KEY])
    # The locale middleware leaves the last request's language active in the thread: each
    # test starts in the default language, not in the one an earlier test's reader chose.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _hypothesis_profile() -> None:
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", max_examples=40, deadline=None)
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def make_organisation(db: None) -> Callable[..., Organisation]:
    def make(name: str = "Acme Research", **fields: Any) -> Organisation:
        fields.setdefault("licence_tier", LicenceTier.STANDARD)
        organisation, _ = Organisation.objects.get_or_create(name=name, defaults=fields)
        return organisation

    return make


@pytest.fixture
def make_member(db: None) -> Callable[..., User]:
    def make(
        email: str,
        organisation: Organisation,
        *,
        brand_admin: bool = False,
        billing: bool = False,
        primary: bool = False,
        seat: bool = False,
        **user_fields: Any,
    ) -> User:
        user = User.objects.create_user(
            username=email, email=email, password=PASSWORD, **user_fields
        )
        Membership.objects.create(
            user=user,
            organisation=organisation,
            is_brand_admin=brand_admin,
            is_billing_contact=billing,
            is_primary_contact=primary,
        )
        if seat:
            EnterpriseSeat.objects.create(user=user, organisation=organisation)
        return user

    return make


@pytest.fixture
def acme(make_organisation: Callable[..., Organisation]) -> Organisation:
    return make_organisation("Acme Research", licence_tier=LicenceTier.STANDARD)


@pytest.fixture
def globex(make_organisation: Callable[..., Organisation]) -> Organisation:
    return make_organisation("Globex", licence_tier=LicenceTier.ENTERPRISE, success_packages=1)


@pytest.fixture
def tsm(globex: Organisation) -> User:
    """Globex's Technical Success Manager: staff in the TSM group."""
    groups = staff_groups_ensure()
    user = User.objects.create_user(
        username="tsm@hub.example",
        email="tsm@hub.example",
        first_name="Tom",
        last_name="Meyer",
        is_staff=True,
    )
    user.groups.add(groups[StaffRole.TSM])
    globex.technical_success_manager = user
    globex.save(update_fields=["technical_success_manager"])
    return user


@pytest.fixture
def agency(make_organisation: Callable[..., Organisation]) -> Organisation:
    return make_organisation(
        "Federal Agency", licence_tier=LicenceTier.ENTERPRISE, environment=Environment.FEDRAMP
    )


@pytest.fixture
def standard_user(make_member: Callable[..., User], acme: Organisation) -> User:
    return make_member("standard@acme.example", acme, first_name="Sam", last_name="Carter")


@pytest.fixture
def brand_admin(make_member: Callable[..., User], acme: Organisation) -> User:
    return make_member("admin@acme.example", acme, brand_admin=True, first_name="Alex")


@pytest.fixture
def seat_holder(make_member: Callable[..., User], globex: Organisation) -> User:
    return make_member("ent-user@globex.example", globex, seat=True, time_zone="America/Denver")


@pytest.fixture
def fedramp_user(make_member: Callable[..., User], agency: Organisation) -> User:
    return make_member("fed@agency.example", agency)


@pytest.fixture
def outsider(
    make_member: Callable[..., User], make_organisation: Callable[..., Organisation]
) -> User:
    """A brand administrator of another organisation."""
    other = make_organisation("Initech", licence_tier=LicenceTier.STANDARD)
    return make_member("boss@initech.example", other, brand_admin=True)


@pytest.fixture
def agent(db: None) -> User:
    groups = staff_groups_ensure()
    user = User.objects.create_user(
        username="agent@hub.example", email="agent@hub.example", password=PASSWORD, is_staff=True
    )
    user.groups.add(groups[StaffRole.AGENT])
    return user


@pytest.fixture
def product_areas(db: None) -> list[ProductArea]:
    return product_areas_ensure_defaults()


@pytest.fixture
def surveys_area(product_areas: list[ProductArea]) -> ProductArea:
    return ProductArea.objects.get(slug="surveys-xm-directory")


@pytest.fixture
def make_agent(db: None) -> Callable[..., User]:
    def make(email: str) -> User:
        groups = staff_groups_ensure()
        user = User.objects.create_user(username=email, email=email, is_staff=True)
        user.groups.add(groups[StaffRole.AGENT])
        return user

    return make
