"""Issue 4's figures: tickets made per second through the service on PostgreSQL, and the
time from a phone submission to its place in the callback queue with a real Celery worker."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import harness

SERVICE_TICKETS = 400
QUEUED_SAMPLES = 40


def extend(plan: harness.Plan) -> None:
    plan.scenarios.append(tickets_scenario)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def tickets_scenario(hub: harness.LiveHub) -> None:
    from hub.accounts.models import User
    from tickets.models import CallbackRequest, Channel, Team
    from tickets.services import ticket_create

    requester = User.objects.get(email="standard@acme.example")

    started = time.perf_counter()
    for n in range(SERVICE_TICKETS):
        ticket_create(
            requester=requester, channel=Channel.EMAIL, team=Team.TECHNICAL,
            subject=f"Bench email ticket {n}", description="Made by bench/tickets.py",
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(
        f"\ntickets: ticket_create through the service (commit + enqueue on commit): "
        f"{SERVICE_TICKETS / elapsed:,.0f} tickets/s ({elapsed / SERVICE_TICKETS * 1000:.2f} ms "
        f"each, {SERVICE_TICKETS} tickets, one process)",
        flush=True,
    )

    log = Path(harness.BASE_DIR) / "var" / "bench" / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            # The callback queue only, as in production: the knowledge-base indexing that
            # seed_demo queued has its own queue and worker.
            [sys.executable, "-m", "celery", "-A", "hub", "worker", "--concurrency=2",
             "-Q", "celery", "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
            cwd=harness.BASE_DIR, env=dict(os.environ), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        delays: list[float] = []
        for n in range(QUEUED_SAMPLES):
            submitted = time.perf_counter()
            ticket = ticket_create(
                requester=requester, channel=Channel.PHONE, team=Team.TECHNICAL,
                subject=f"Bench callback {n}", language="en", phone_number="+442079460018",
                recording_consent=True,
            )  # fmt: skip
            deadline = submitted + 30
            while not CallbackRequest.objects.filter(ticket_id=ticket.pk).exists():
                if time.perf_counter() > deadline:
                    raise harness.BenchError(f"{ticket.number} was not queued within 30 s")
                time.sleep(0.002)
            delays.append((time.perf_counter() - submitted) * 1000)
        print(
            f"tickets: submit to queued with a real worker on Redis: "
            f"p50 {statistics.median(delays):.1f} ms, p95 {_percentile(delays, 0.95):.1f} ms, "
            f"max {max(delays):.1f} ms ({QUEUED_SAMPLES} phone tickets)",
            flush=True,
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
