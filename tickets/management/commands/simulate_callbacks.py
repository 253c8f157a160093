"""`manage.py simulate_callbacks`: check the quoted callback waits against a simulated week.

Fed with the roster (every active agent's shifts), the arrivals measured per queue, weekday
and hour over the last weeks, and the measured handle times. How patient customers are and
what an unanswered call costs are not recorded by the hub yet, so they are options. The
corrected estimate uses the share of calls nobody answered as a first simulated week
measures it; the check runs on another seeded week.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from routing.erlang import Absence
from routing.policy import Method
from routing.selectors import average_handle_seconds, queue_agent_shifts
from routing.simulation import (
    CallbackQueueModel,
    WaitComparison,
    absence_estimator,
    compare,
    erlang_c_estimator,
    measured_absence,
    simulate_week,
)
from tickets.queues import callback_arrival_profile, callback_facts


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:5.1f}"


def comparison_line(label: str, comparison: WaitComparison) -> str:
    return (
        f"{label:<10} {comparison.queue:<28} {comparison.calls:>6} "
        f"{_minutes(comparison.quoted_mean)} [{_minutes(comparison.quoted_low_mean)}, "
        f"{_minutes(comparison.quoted_high_mean)}] {_minutes(comparison.actual_mean)} "
        f"{_minutes(comparison.mean_error)} {comparison.inside_range_share:6.0%} "
        f"{comparison.within_high_share:6.0%}  {'yes' if comparison.agrees else 'NO'}"
    )


class Command(BaseCommand):
    help = "Simulate a week of the callback queues and compare the quoted waits with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=4, help="Weeks of arrivals to measure.")
        parser.add_argument("--seed", type=int, default=18, help="The simulated week's seed.")
        parser.add_argument(
            "--patience-minutes",
            type=float,
            default=20.0,
            help="Customers' mean patience before they are no longer there when called.",
        )
        parser.add_argument(
            "--attempt-seconds",
            type=float,
            default=60.0,
            help="What a call nobody answers costs the agent.",
        )

    def handle(
        self,
        *args: Any,
        weeks: int,
        seed: int,
        patience_minutes: float,
        attempt_seconds: float,
        **options: Any,
    ) -> None:
        if weeks < 1 or patience_minutes <= 0 or attempt_seconds < 0:
            raise CommandError("--weeks and --patience-minutes must be positive.")
        now = timezone.now()
        profile = callback_arrival_profile(since=now - timedelta(weeks=weeks), until=now)
        facts = callback_facts(now)
        # The arrivals are keyed from Monday 00:00 UTC; simulate next week.
        monday = (now + timedelta(days=7 - now.weekday())).astimezone(UTC).date()
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        self.stdout.write(
            f"{'estimate':<10} {'queue':<28} {'calls':>6} quoted [median, 90th] simulated "
            "error inside within-90th agrees (minutes)"
        )
        for (language, area_id, team), arrivals in sorted(profile.items(), key=str):
            shifts = queue_agent_shifts(language=language, area_id=area_id, team=team)
            if not shifts:
                continue
            model = CallbackQueueModel(
                name=f"{language}/{area_id or '-'}/{team}",
                agent_shifts=shifts,
                arrivals_per_hour=arrivals,
                handle_seconds=average_handle_seconds(
                    Method.PHONE, language=language, area_id=area_id, team=team, queues=facts
                ),
                patience_seconds=patience_minutes * 60,
                attempt_seconds=attempt_seconds,
            )
            self._check(model, start=start, seed=seed)

    def _check(self, model: CallbackQueueModel, *, start: datetime, seed: int) -> None:
        measured: Absence = measured_absence(
            model, simulate_week(model, start=start, estimator=erlang_c_estimator, seed=seed - 1)
        )
        for label, estimator in (
            ("Erlang C", erlang_c_estimator),
            ("corrected", absence_estimator(measured)),
        ):
            calls = simulate_week(model, start=start, estimator=estimator, seed=seed)
            self.stdout.write(comparison_line(label, compare(model.name, calls)))
