"""Queueing maths for the wait estimate: Erlang B and C for an M/M/N queue.

A callback queue is an M/M/N queue: requests arrive at random (rate λ), each takes an
exponentially distributed handle time (mean h), N agents work in parallel, first come
first served. Traffic is ``A = λ·h`` erlangs.

Callers never wait on hold (R-PHONE), but some are no longer there when their call comes:
they gave up, or found the answer elsewhere. Like Erlang A's abandonment (M/M/N+M), each
waits a random, exponentially distributed patience; unlike it, nobody leaves the queue, and
an unanswered call still costs the agent a short attempt. The measured handle time is that
of answered calls, so Erlang C fed with it overstates the wait (``routing.simulation``
shows by how much); ``Absence`` (the measured share of unanswered calls and the attempt's
length) corrects the length of the calls ahead.

Two kinds of figure come out:

- the classic steady-state Erlang C figures (probability of waiting, average speed of
  answer, service level, wait percentiles) for planning and for the tests that check this
  module against published tables;
- ``estimate_wait``: what a person about to join the queue can expect *given what we can see*.
  With ``w`` callbacks already waiting every agent is busy, so the newcomer waits for
  ``w + 1`` calls to finish at the pooled rate ``N/h``: an Erlang (gamma) distribution.
  With nobody waiting, the M/M/N model says the chance that all N agents are busy is
  Erlang B(N, A) (the stationary probabilities restricted to "no queue"), and then the
  wait is exponential with rate ``N/h``.

Erlang B uses the recursion ``B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1))``, which stays
finite for thousands of agents where ``A**N / N!`` would overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

MEDIAN = 0.5
HIGH_QUANTILE = 0.9


@dataclass(frozen=True, slots=True)
class Absence:
    """Customers who are not there when called, as measured: the share of calls nobody
    answered, and what such a call costs the agent."""

    share: float
    attempt_seconds: float


@dataclass(frozen=True, slots=True)
class WaitInputs:
    """What an estimate was worked out from, kept with every quote so that it can be checked
    against what happened. ``position`` 1 is next; ``handle_seconds`` is the measured mean
    of answered calls, ``effective_handle_seconds`` what a call ahead takes on average once
    absences are allowed for (the same without ``Absence``)."""

    agents: int
    arrivals_per_hour: float
    handle_seconds: float
    position: int
    effective_handle_seconds: float
    absent_share: float = 0.0


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Seconds until an agent starts on the request: expected, and a likely range."""

    expected_seconds: float
    low_seconds: float  # the median: half wait less
    high_seconds: float  # the 90th percentile: nine in ten wait less
    probability_of_waiting: float
    inputs: WaitInputs | None = None


def _check(servers: int, traffic: float) -> None:
    if servers < 0:
        raise ValueError("the number of servers cannot be negative")
    if traffic < 0 or math.isnan(traffic):
        raise ValueError("traffic must be zero or more erlangs")


def erlang_b(servers: int, traffic: float) -> float:
    """Probability that all ``servers`` are busy in a loss system offered ``traffic``."""
    _check(servers, traffic)
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a request has to wait (1.0 when the queue is not stable)."""
    _check(servers, traffic)
    if traffic >= servers:
        return 1.0
    if traffic == 0:
        return 0.0
    blocking = erlang_b(servers, traffic)
    return servers * blocking / (servers - traffic * (1.0 - blocking))


def average_speed_of_answer(servers: int, traffic: float, handle_seconds: float) -> float:
    """Mean wait in seconds over all requests (infinite when the queue is not stable)."""
    if traffic >= servers:
        return math.inf
    return erlang_c(servers, traffic) * handle_seconds / (servers - traffic)


def service_level(
    servers: int, traffic: float, handle_seconds: float, target_seconds: float
) -> float:
    """Share of requests answered within ``target_seconds``."""
    if traffic >= servers:
        return 0.0
    decay = (servers - traffic) * target_seconds / handle_seconds
    return 1.0 - erlang_c(servers, traffic) * math.exp(-decay)


def _mixed_exponential_quantile(p_wait: float, rate: float, quantile: float) -> float:
    """Quantile of a wait that is 0 with probability ``1 - p_wait``, else Exp(rate)."""
    if p_wait <= 1.0 - quantile:
        return 0.0
    return math.log(p_wait / (1.0 - quantile)) / rate


def steady_state_wait(servers: int, traffic: float, handle_seconds: float) -> WaitEstimate:
    """The Erlang C waiting-time distribution of a random arrival."""
    if traffic >= servers:
        return WaitEstimate(math.inf, math.inf, math.inf, 1.0)
    p_wait = erlang_c(servers, traffic)
    rate = (servers - traffic) / handle_seconds
    return WaitEstimate(
        expected_seconds=p_wait / rate,
        low_seconds=_mixed_exponential_quantile(p_wait, rate, MEDIAN),
        high_seconds=_mixed_exponential_quantile(p_wait, rate, HIGH_QUANTILE),
        probability_of_waiting=p_wait,
    )


# --- The gamma distribution, for "wait until k calls have finished" ----------------------


def regularized_lower_gamma(shape: float, x: float) -> float:
    """P(shape, x): the gamma distribution's CDF with unit rate, evaluated at ``x``."""
    if shape <= 0:
        raise ValueError("shape must be positive")
    if x <= 0:
        return 0.0
    log_prefix = shape * math.log(x) - x - math.lgamma(shape)
    if x < shape + 1.0:
        # Series: converges quickly below the mode.
        term = total = 1.0 / shape
        denominator = shape
        for _ in range(10_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_prefix))
    # Continued fraction for the upper tail (modified Lentz).
    tiny = 1e-300
    b = x + 1.0 - shape
    c = 1.0 / tiny
    d = 1.0 / b
    fraction = d
    for i in range(1, 10_000):
        a = -i * (i - shape)
        b += 2.0
        d = a * d + b
        d = tiny if abs(d) < tiny else d
        c = b + a / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        fraction *= step
        if abs(step - 1.0) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_prefix) * fraction)


@lru_cache(maxsize=4096)
def gamma_quantile(shape: float, quantile: float) -> float:
    """x with P(shape, x) = quantile (unit rate), by safeguarded Newton steps."""
    if not 0.0 < quantile < 1.0:
        raise ValueError("quantile must be strictly between 0 and 1")
    # Wilson–Hilferty gives a start within a few per cent.
    z = math.sqrt(2.0) * _inverse_erf(2.0 * quantile - 1.0)
    guess = shape * (1.0 - 1.0 / (9.0 * shape) + z / (3.0 * math.sqrt(shape))) ** 3
    low, high = 0.0, max(guess * 2.0, shape + 10.0 * math.sqrt(shape) + 10.0)
    while regularized_lower_gamma(shape, high) < quantile:
        high *= 2.0
    x = min(max(guess, low + 1e-12), high)
    for _ in range(100):
        error = regularized_lower_gamma(shape, x) - quantile
        if abs(error) < 1e-12:
            break
        if error > 0:
            high = x
        else:
            low = x
        density = math.exp((shape - 1.0) * math.log(x) - x - math.lgamma(shape)) if x > 0 else 0
        step = x - error / density if density > 0 else (low + high) / 2.0
        x = step if low < step < high else (low + high) / 2.0
        if high - low < 1e-12 * max(1.0, x):
            break
    return x


def _inverse_erf(y: float) -> float:
    """erf⁻¹ by Newton steps on math.erf (only used for a starting guess)."""
    x = 0.0
    for _ in range(50):
        error = math.erf(x) - y
        if abs(error) < 1e-14:
            break
        x -= error / (2.0 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


def wait_behind(position: int, agents: int, handle_seconds: float) -> WaitEstimate:
    """Wait of a request at ``position`` (1 = next) while every agent is busy.

    It starts when ``position`` calls have finished; with ``agents`` working, calls finish
    at rate ``agents / handle_seconds``, so the wait is gamma(position, that rate).
    """
    if position < 1:
        raise ValueError("positions start at 1")
    if agents < 1:
        raise ValueError("nobody is on shift: there is no wait to estimate")
    mean_gap = handle_seconds / agents
    return WaitEstimate(
        expected_seconds=position * mean_gap,
        low_seconds=gamma_quantile(position, MEDIAN) * mean_gap,
        high_seconds=gamma_quantile(position, HIGH_QUANTILE) * mean_gap,
        probability_of_waiting=1.0,
    )


def effective_handle_seconds(handle_seconds: float, absence: Absence | None) -> float:
    """The mean length of a call ahead, counting those nobody answers: ``handle_seconds``
    is the mean of answered calls, an unanswered one costs only the attempt."""
    if absence is None:
        return handle_seconds
    attempt = min(absence.attempt_seconds, handle_seconds)
    return (1.0 - absence.share) * handle_seconds + absence.share * attempt


def estimate_wait(
    *,
    arrivals_per_hour: float,
    agents: int,
    waiting: int,
    handle_seconds: float,
    absence: Absence | None = None,
) -> WaitEstimate:
    """The wait of someone joining a queue now, given the callbacks already waiting.

    With ``absence``, the calls ahead are shortened by those nobody will answer.
    """
    if agents < 1:
        raise ValueError("nobody is on shift: there is no wait to estimate")
    if waiting < 0 or arrivals_per_hour < 0 or handle_seconds <= 0:
        raise ValueError("waiting, arrivals and handle time must be positive")
    position = waiting + 1
    effective = effective_handle_seconds(handle_seconds, absence)
    inputs = WaitInputs(
        agents=agents,
        arrivals_per_hour=arrivals_per_hour,
        handle_seconds=handle_seconds,
        position=position,
        effective_handle_seconds=effective,
        absent_share=absence.share if absence else 0.0,
    )
    if waiting > 0:
        behind = wait_behind(position, agents, effective)
        return replace(behind, inputs=inputs)
    traffic = arrivals_per_hour * effective / 3600.0
    p_all_busy = erlang_b(agents, traffic)
    rate = agents / effective
    return WaitEstimate(
        expected_seconds=p_all_busy / rate,
        low_seconds=_mixed_exponential_quantile(p_all_busy, rate, MEDIAN),
        high_seconds=_mixed_exponential_quantile(p_all_busy, rate, HIGH_QUANTILE),
        probability_of_waiting=p_all_busy,
        inputs=inputs,
    )


# --- Staffing -------------------------------------------------------------------------------

# Beyond this many agents per erlang of traffic no target is out of reach, so the search
# below always ends (it needs a positive target time and a share below one).
_MAX_AGENTS = 100_000


def agents_for_service_level(
    *, traffic: float, handle_seconds: float, answer_within_seconds: float, share: float
) -> int:
    """The fewest agents who answer ``share`` of requests within ``answer_within_seconds``.

    No traffic needs nobody. A share of 1 is out of any finite roster's reach (Erlang C's
    wait has an exponential tail), so the share must be below one.
    """
    if not 0.0 < share < 1.0:
        raise ValueError("the share answered in time must be between 0 and 1, exclusive")
    if handle_seconds <= 0 or answer_within_seconds < 0:
        raise ValueError("the handle time must be positive and the target time not negative")
    _check(0, traffic)
    if traffic == 0:
        return 0
    # A stable queue needs more agents than erlangs of traffic.
    agents = math.floor(traffic) + 1
    while service_level(agents, traffic, handle_seconds, answer_within_seconds) < share:
        agents += 1
        if agents > _MAX_AGENTS:
            raise ValueError("no roster of a reasonable size reaches this target")
    return agents
