"""The foundation's pages: the floor, the probe, the door and the hub home."""

from __future__ import annotations

from bench.harness import BARE_PATH, Page, Plan

STANDARD_USER = "standard@acme.example"

PAGES = [
    Page("bare Django view", BARE_PATH),
    # The same view with a session: what loading and saving a signed-in session costs.
    Page("bare Django view (standard user)", BARE_PATH, user=STANDARD_USER),
    Page("/healthz", "/healthz"),
    Page("/accounts/login/ (anonymous)", "/accounts/login/"),
    Page("/hub/ (standard user)", "/hub/", user=STANDARD_USER),
]


def extend(plan: Plan) -> None:
    plan.pages.extend(PAGES)
