"""A wait estimate as every page and email words it: whole minutes, and two ways to give a
range ("most people wait between ... and ..." and "nine in ten within ...")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import ngettext

from routing.erlang import WaitEstimate


def whole_minutes(value: timedelta) -> int:
    """A wait as people read it: rounded to the minute, and never "0 minutes"."""
    return max(1, round(value.total_seconds() / 60))


def duration_words(value: timedelta | None) -> str:
    """“12 minutes”, “1 hour 5 minutes”: rounded to whole minutes, in the active language."""
    if value is None:
        return ""
    hours, minutes = divmod(whole_minutes(value), 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Wait:
    """A wait estimate in durations: expected, the median and the 90th percentile."""

    expected: timedelta
    low: timedelta
    high: timedelta

    @classmethod
    def of(cls, estimate: WaitEstimate | None) -> Wait | None:
        """None when there is no estimate, or nobody will come (an infinite wait)."""
        if estimate is None or not math.isfinite(estimate.high_seconds):
            return None
        return cls(
            expected=timedelta(seconds=round(estimate.expected_seconds)),
            low=timedelta(seconds=round(estimate.low_seconds)),
            high=timedelta(seconds=round(estimate.high_seconds)),
        )

    @property
    def has_range(self) -> bool:
        """Worth saying "between low and high": they read differently in whole minutes."""
        return whole_minutes(self.low) != whole_minutes(self.high)

    @property
    def has_tail(self) -> bool:
        """Worth saying "nine in ten within high": it reads as more than the expected wait."""
        return round(self.high.total_seconds() / 60) > round(self.expected.total_seconds() / 60)

    @property
    def is_now(self) -> bool:
        """Short enough to say an agent can answer straight away."""
        return self.expected < timedelta(seconds=30)
