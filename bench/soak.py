"""The soak (RELIABILITY.md, promise 19): `python -m bench soak`, `make soak`. Never in CI.

Seeds the bench database as `python -m bench hub` does (the demo, BENCH_HISTORY_TICKETS
tickets in one organisation, live chats), serves it under gunicorn with a Celery worker and
its beat, all on loopback, then:

1. measures the capacity of the mix (locust, headless, as fast as answers come, for
   BENCH_SOAK_PROBE_SECONDS, 30) in requests per second;
2. runs the same mix paced at BENCH_SOAK_SHARE (0.8) of that capacity for
   BENCH_SOAK_SECONDS (600): members browsing and submitting phone and email requests,
   customers and agents writing in live chats, agents in the console and the admin;
3. waits for the worker to finish (up to 120 s) and checks that no answer was a 5xx, and
   that every submission answered with its ticket made one ticket, queued once (phone: one
   callback, queued) and emailed once (one confirmation in the outbox, sent).

Bounded: a fixed number of locust users (BENCH_SOAK_USERS, 24), a fixed time, loopback only.
Exits 1 when a check fails.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness


def _settings() -> tuple[int, int, float, int]:
    return (
        harness._env_int("BENCH_SOAK_SECONDS", 600, low=10, high=3600),
        harness._env_int("BENCH_SOAK_PROBE_SECONDS", 30, low=5, high=600),
        harness._env_int("BENCH_SOAK_SHARE_PERCENT", 80, low=10, high=100) / 100,
        harness._env_int("BENCH_SOAK_USERS", 24, low=1, high=200),
    )


def _world(hub: harness.LiveHub) -> dict[str, Any]:
    """Who the locust users are, with their sessions: written to a file locust reads."""
    from bench import chat, flow
    from hub.accounts.models import User
    from routing.models import ProductArea
    from tickets.models import Ticket

    emails = list(
        User.objects.filter(email__startswith="member", email__endswith="@acme.example")
        .order_by("email")
        .values_list("email", flat=True)[: flow.MEMBERS]
    )
    members = []
    for email in emails:
        numbers = list(
            Ticket.objects.filter(requester__email=email)
            .order_by("-created_at")
            .values_list("number", flat=True)[:20]
        )
        members.append({"email": email, "cookie": hub.session_cookie(email), "tickets": numbers})
    return {
        "members": members,
        "areas": list(
            ProductArea.objects.filter(is_active=True, redirects_to_discover=False)
            .order_by("pk")
            .values_list("slug", flat=True)
        ),
        "chats": [
            {
                "number": bench_chat.number,
                "customer_cookie": chat.COOKIES[bench_chat.customer],
                "agent_cookie": chat.COOKIES[bench_chat.agent],
            }
            for bench_chat in chat.CHATS
        ],
        "staff_cookie": hub.session_cookie(flow.STAFF),
    }


def _locust(
    hub: harness.LiveHub, world: Path, *, users: int, seconds: int, pace: float, prefix: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Run the mix; return locust's aggregated row and what the locustfile wrote."""
    results = Path(f"{prefix}-results.json")
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("soak_locust.py")),
        "--headless", "--host", hub.base_url, "--users", str(users),
        "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--csv", prefix,
        "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "SOAK_WORLD": str(world), "SOAK_RESULTS": str(results),
           "SOAK_PACE": f"{pace:.4f}"}  # fmt: skip
    log = Path(f"{prefix}.log")
    with log.open("w") as output:
        finished = subprocess.run(
            command, cwd=harness.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
            timeout=seconds + 120, check=False,
        )  # fmt: skip
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists() or not results.exists():
        raise harness.BenchError(
            f"locust exited with {finished.returncode} without results; see {log}"
        )
    with stats.open() as rows:
        aggregated = next(row for row in csv.DictReader(rows) if row["Name"] == "Aggregated")
    return aggregated, json.loads(results.read_text())


def _check(results: dict[str, Any], *, settle_seconds: int = 120) -> list[str]:
    """Every submission made, queued and emailed once; the problems, a line each."""
    from hub.accounts.models import OutboundEmail
    from tickets.models import CallbackRequest, Channel, Ticket

    problems = []
    keys = {(row["member"], row["key"]): row["kind"] for row in results["submitted"]}
    tickets = list(
        Ticket.objects.filter(idempotency_key__in={key for _member, key in keys}).values(
            "pk", "number", "channel", "idempotency_key", "requester__email"
        )
    )
    found = {(row["requester__email"], row["idempotency_key"]): row for row in tickets}
    missing = [key for key in keys if key not in found]
    if missing:
        problems.append(f"{len(missing)} submissions answered with a ticket have none")
    if len(tickets) != len(found):
        problems.append(f"{len(tickets) - len(found)} submissions made more than one ticket")
    phone_ids = [row["pk"] for row in tickets if row["channel"] == Channel.PHONE]
    confirmed = Ticket.objects.filter(
        pk__in=[row["pk"] for row in tickets], confirmation_sent_at__isnull=False
    )
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        queued = CallbackRequest.objects.filter(ticket_id__in=phone_ids).count()
        if queued >= len(phone_ids) and confirmed.count() >= len(tickets):
            break
        time.sleep(2)
    callbacks = CallbackRequest.objects.filter(ticket_id__in=phone_ids)
    if callbacks.count() != len(phone_ids):
        problems.append(f"{len(phone_ids) - callbacks.count()} phone tickets never queued")
    if callbacks.values("ticket_id").distinct().count() != callbacks.count():
        problems.append("a phone ticket was queued twice")
    # Each confirmation's Message-ID starts with its ticket's number (then its signature,
    # made with the server's secret key, which this process does not share).
    sent = unsent = missing_email = twice = 0
    for row in tickets:
        emails = list(
            OutboundEmail.objects.filter(
                purpose="confirmation", message_id__startswith=f"<{row['number'].lower()}."
            ).values_list("sent_at", flat=True)
        )
        missing_email += not emails
        twice += len(emails) > 1
        sent += sum(1 for moment in emails if moment is not None)
        unsent += sum(1 for moment in emails if moment is None)
    if missing_email:
        problems.append(f"{missing_email} tickets have no confirmation in the outbox")
    if twice:
        problems.append(f"{twice} tickets have more than one confirmation")
    if unsent:
        problems.append(f"{unsent} confirmations never sent")
    print(
        f"soak: {len(keys):,} submissions answered ({len(phone_ids):,} phone); "
        f"{len(tickets):,} tickets; {callbacks.count():,} callbacks queued; "
        f"{sent:,} confirmations sent from the outbox",
        flush=True,
    )
    return problems


def main() -> int:
    seconds, probe_seconds, share, users = _settings()
    config = harness.BenchConfig.from_environment()
    harness.django_configure(config)
    from bench import chat, history

    harness.report(config.describe())
    harness.redis_empty(config)
    harness.database_recreate(config)
    harness.database_prepare([history.history_seed, chat.chat_seed])
    config.log_dir.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no var/ yet
    work = Path(tempfile.mkdtemp(prefix="soak-", dir=config.log_dir))
    problems: list[str] = []
    with harness.gunicorn_serving(config) as hub, harness.celery_serving(config):
        world = work / "world.json"
        world.write_text(json.dumps(_world(hub)))
        harness.report(f"serving on {hub.base_url}; {harness.machine_load()}")
        probe, _ = _locust(
            hub, world, users=users, seconds=probe_seconds, pace=0, prefix=str(work / "probe")
        )
        capacity = float(probe["Requests/s"])
        target = capacity * share
        harness.report(
            f"capacity of the mix: {capacity:.1f} req/s; soaking at {target:.1f} req/s "
            f"({share:.0%}) for {seconds} s with {users} users; {harness.machine_load()}"
        )
        cpu_before = hub.server_cpu_seconds()
        soak, results = _locust(
            hub, world, users=users, seconds=seconds, pace=target / users,
            prefix=str(work / "soak"),
        )  # fmt: skip
        cpu = hub.server_cpu_seconds() - cpu_before
        requests = int(soak["Request Count"])
        print(
            f"\nSoak: {requests:,} requests in {seconds} s ({float(soak['Requests/s']):.1f} "
            f"req/s, target {target:.1f}); failures {soak['Failure Count']}; p50 "
            f"{soak['50%']} ms, p99 {soak['99%']} ms, max {float(soak['Max Response Time']):.0f}"
            f" ms; server CPU {cpu * 1000 / max(requests, 1):.1f} ms per request; answers "
            f"{results['statuses']}; {harness.machine_load()}",
            flush=True,
        )
        if results["server_errors"]:
            problems.append(f"5xx answers: {results['server_errors']}")
        problems += _check(results)
    for problem in problems:
        print(f"FAILED: {problem}", flush=True)
    harness.report(f"locust's logs and figures are in {work}")
    return 1 if problems else 0
