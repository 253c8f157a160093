"""A wait estimate as every page and email words it: whole minutes, and two ways to give a
range ("most people wait between ... and ..." and "nine in ten within ...")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from routing.erlang import WaitEstimate, WaitInputs


def whole_minutes(value: timedelta) -> int:
    """A wait as people read it: rounded to the minute, and never "0 minutes"."""
    return max(1, round(value.total_seconds() / 60))


def duration_words(value: timedelta | None) -> str:
    """“12 minutes”, “1 hour 5 minutes”: rounded to whole minutes, in the active language."""
    if value is None:
        return ""
    hours, minutes = divmod(whole_minutes(value), 60)
    hours_text = (
        ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours} if hours else ""
    )
    minutes_text = (
        ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        if minutes
        else ""
    )
    if hours_text and minutes_text:
        # Joined as the language joins them: Japanese writes "1時間5分", with no space.
        return pgettext("a duration", "%(hours)s %(minutes)s") % {
            "hours": hours_text,
            "minutes": minutes_text,
        }
    return hours_text or minutes_text


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
    def minutes_shown(self) -> tuple[int, int, int]:
        """Expected, low and high as they are read: two waits equal here read the same."""
        return whole_minutes(self.expected), whole_minutes(self.low), whole_minutes(self.high)

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


# Handle times and arrival rates move a little all the time; only a change people would
# notice is worth naming.
_NOTICEABLE = 0.1


def _moved(before: float, after: float) -> int:
    """1 up, -1 down, 0 for a change of less than a tenth."""
    if after > before * (1 + _NOTICEABLE):
        return 1
    if after < before * (1 - _NOTICEABLE):
        return -1
    return 0


def wait_changed(quoted: Wait, current: Wait) -> bool:
    """Whether the figure reads differently from the one quoted ("about N minutes")."""
    return whole_minutes(quoted.expected) != whole_minutes(current.expected)


def wait_change_reasons(quoted: WaitInputs, current: WaitInputs) -> list[str]:
    """Why a wait reads differently from the one quoted, in the words of the page."""
    reasons = []
    if current.position > quoted.position:
        reasons.append(_("More people asked for a callback since."))
    elif current.position < quoted.position:
        reasons.append(_("People ahead of you have been called since."))
    if current.agents < quoted.agents:
        reasons.append(_("Fewer agents are on duty now."))
    elif current.agents > quoted.agents:
        reasons.append(_("More agents are on duty now."))
    handle = _moved(quoted.handle_seconds, current.handle_seconds)
    if handle:
        reasons.append(
            _("Calls are taking longer than they were.")
            if handle > 0
            else _("Calls are taking less time than they were.")
        )
    # The rate of new requests only matters to the next in line (nobody ahead).
    arrivals = _moved(quoted.arrivals_per_hour, current.arrivals_per_hour)
    if current.position == 1 and arrivals:
        reasons.append(
            _("More people are asking for callbacks now.")
            if arrivals > 0
            else _("Fewer people are asking for callbacks now.")
        )
    return reasons or [_("The queue has changed since.")]
