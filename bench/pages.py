"""The foundation's pages: the floor, the probe, the door and the hub home."""

from __future__ import annotations

from bench.harness import BARE_PATH, Page, Plan

STANDARD_USER = "standard@acme.example"

PAGES = [
    Page("bare Django view", BARE_PATH),
    # The same view with a session: what loading and saving a signed-in session costs
    # (bench/flow.py measures it across many members' sessions, against its floor).
    Page("bare Django view (standard user)", BARE_PATH, user=STANDARD_USER),
    Page("/healthz", "/healthz"),
    Page("/accounts/login/ (anonymous)", "/accounts/login/"),
]


def extend(plan: Plan) -> None:
    plan.pages.extend(PAGES)
