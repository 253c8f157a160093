"""A discrete-event simulation of the callback queues (SimPy), to check the wait estimates.

Each queue is simulated for a week: callbacks arrive at random (Poisson) at the measured
rate of their weekday and hour, the agents of the roster take them first come first served
while on shift, and each call lasts an exponential handle time. A customer waits an
exponential patience; one who is called after it has run out does not answer, and the call
costs the agent only an attempt. Every arrival is quoted a wait the way the phone form
quotes it (the callbacks waiting, the agents on shift, the hour's arrival rate, the mean
handle time), and the quote is compared with the wait that followed.

Plain functions, no database: the caller passes the roster (weekly schedules), the arrival
rates and handle times. Seeded and deterministic: the same seed gives the same week.
Arrivals while nobody is on shift are left out: those callbacks join the queue when it
opens, and their quote is not a wait estimate but an opening time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

import simpy

from routing.erlang import Absence, WaitEstimate, estimate_wait
from routing.hours import Schedule, open_intervals

WEEK_SECONDS = 7 * 24 * 3600.0
# The page reads a wait in whole minutes: half a minute either side is still "inside".
ROUNDING_SECONDS = 30.0

# (callbacks waiting, agents on shift, arrivals per hour, handle seconds) -> the quote.
Estimator = Callable[[int, int, float, float], WaitEstimate]


def erlang_c_estimator(waiting: int, agents: int, arrivals: float, handle: float) -> WaitEstimate:
    """The estimate as it was: Erlang C, every call ahead as long as an answered one."""
    return estimate_wait(
        arrivals_per_hour=arrivals, agents=agents, waiting=waiting, handle_seconds=handle
    )


def absence_estimator(absence: Absence) -> Estimator:
    """The corrected estimate: the calls ahead shortened by the measured share of customers
    who are not there when called."""

    def estimator(waiting: int, agents: int, arrivals: float, handle: float) -> WaitEstimate:
        return estimate_wait(
            arrivals_per_hour=arrivals,
            agents=agents,
            waiting=waiting,
            handle_seconds=handle,
            absence=absence,
        )

    return estimator


@dataclass(frozen=True, slots=True)
class CallbackQueueModel:
    """One callback queue as the simulation needs it.

    ``arrivals_per_hour`` is keyed by (weekday, hour) in UTC, Monday 0, as measured;
    ``handle_seconds`` is the mean of answered calls; ``patience_seconds`` the customers'
    mean patience (exponential) and ``attempt_seconds`` what an unanswered call costs.
    """

    name: str
    agent_shifts: tuple[Schedule, ...]
    arrivals_per_hour: Mapping[tuple[int, int], float]
    handle_seconds: float
    patience_seconds: float
    attempt_seconds: float


@dataclass(frozen=True, slots=True)
class SimulatedCall:
    arrived_seconds: float
    quote: WaitEstimate
    wait_seconds: float
    answered: bool


@dataclass(frozen=True, slots=True)
class WaitComparison:
    """Quoted against simulated (or recorded) waits of one queue, in seconds."""

    queue: str
    calls: int
    quoted_mean: float
    quoted_low_mean: float
    quoted_high_mean: float
    actual_mean: float
    inside_range_share: float
    within_high_share: float

    @property
    def mean_error(self) -> float:
        """Actual minus quoted: positive when people waited longer than they were told."""
        return self.actual_mean - self.quoted_mean

    @property
    def agrees(self) -> bool:
        """The actual mean wait lies inside the mean quoted range (median to 90th
        percentile, read in whole minutes)."""
        return (
            self.quoted_low_mean - ROUNDING_SECONDS
            <= self.actual_mean
            <= self.quoted_high_mean + ROUNDING_SECONDS
        )


def is_inside(wait_seconds: float, quote: WaitEstimate) -> bool:
    """Whether a wait fell inside its quoted range, as the page words it."""
    return (
        quote.low_seconds - ROUNDING_SECONDS
        <= wait_seconds
        <= quote.high_seconds + ROUNDING_SECONDS
    )


def compare(queue: str, calls: Sequence[SimulatedCall]) -> WaitComparison:
    if not calls:
        return WaitComparison(queue, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return WaitComparison(
        queue=queue,
        calls=len(calls),
        quoted_mean=fmean(call.quote.expected_seconds for call in calls),
        quoted_low_mean=fmean(call.quote.low_seconds for call in calls),
        quoted_high_mean=fmean(call.quote.high_seconds for call in calls),
        actual_mean=fmean(call.wait_seconds for call in calls),
        inside_range_share=fmean(is_inside(call.wait_seconds, call.quote) for call in calls),
        within_high_share=fmean(
            call.wait_seconds <= call.quote.high_seconds + ROUNDING_SECONDS for call in calls
        ),
    )


@dataclass(slots=True)
class _Waiting:
    arrived: float
    patience: float
    quote: WaitEstimate


@dataclass(slots=True)
class _Run:
    model: CallbackQueueModel
    estimator: Estimator
    rng: random.Random
    shifts: list[list[tuple[float, float]]]
    env: simpy.Environment = field(default_factory=simpy.Environment)
    calls: list[SimulatedCall] = field(default_factory=list)
    queue: simpy.Store = field(init=False)

    def __post_init__(self) -> None:
        self.queue = simpy.Store(self.env)

    def agents_on_shift(self, moment: float) -> int:
        return sum(1 for intervals in self.shifts if any(s <= moment < e for s, e in intervals))

    def arrivals(self) -> Generator[Any, Any, None]:
        hour_seconds = 3600.0
        for hour in range(int(WEEK_SECONDS // hour_seconds)):
            rate = self.model.arrivals_per_hour.get((hour // 24, hour % 24), 0.0)
            end = (hour + 1) * hour_seconds
            # Memoryless: a fresh gap at each hour's start keeps the process Poisson.
            if rate <= 0:
                yield self.env.timeout(end - self.env.now)
                continue
            while True:
                gap = self.rng.expovariate(rate / hour_seconds)
                if self.env.now + gap >= end:
                    yield self.env.timeout(end - self.env.now)
                    break
                yield self.env.timeout(gap)
                self.arrive(rate)

    def arrive(self, rate: float) -> None:
        now = self.env.now
        patience = self.rng.expovariate(1.0 / self.model.patience_seconds)
        agents = self.agents_on_shift(now)
        if agents == 0:
            return
        quote = self.estimator(len(self.queue.items), agents, rate, self.model.handle_seconds)
        self.queue.put(_Waiting(now, patience, quote))

    def agent(self, intervals: list[tuple[float, float]]) -> Generator[Any, Any, None]:
        for start, end in intervals:
            if self.env.now < start:
                yield self.env.timeout(start - self.env.now)
            while self.env.now < end:
                taking = self.queue.get()
                yield taking | self.env.timeout(end - self.env.now)
                if not taking.triggered:
                    taking.cancel()
                    break
                waiting = taking.value
                assert isinstance(waiting, _Waiting)
                wait = self.env.now - waiting.arrived
                answered = wait < waiting.patience
                self.calls.append(SimulatedCall(waiting.arrived, waiting.quote, wait, answered))
                length = (
                    self.rng.expovariate(1.0 / self.model.handle_seconds)
                    if answered
                    else self.model.attempt_seconds
                )
                yield self.env.timeout(length)


def _intervals(schedule: Schedule, start: datetime) -> list[tuple[float, float]]:
    end = start + timedelta(seconds=WEEK_SECONDS)
    return [
        (max(0.0, (s - start).total_seconds()), min(WEEK_SECONDS, (e - start).total_seconds()))
        for s, e in open_intervals(schedule, start, end)
        if e > start and s < end
    ]


def simulate_week(
    model: CallbackQueueModel, *, start: datetime, estimator: Estimator, seed: int
) -> list[SimulatedCall]:
    """Every callback of a simulated week from ``start`` (a Monday 00:00 UTC: the arrival
    rates are keyed from it), taken in that week, with its quote and its wait."""
    rng = random.Random(f"{seed}:{model.name}")
    run = _Run(
        model=model,
        estimator=estimator,
        rng=rng,
        shifts=[_intervals(schedule, start) for schedule in model.agent_shifts],
    )
    run.env.process(run.arrivals())
    for intervals in run.shifts:
        run.env.process(run.agent(intervals))
    run.env.run(until=WEEK_SECONDS)
    return run.calls


def measured_absence(model: CallbackQueueModel, calls: Sequence[SimulatedCall]) -> Absence:
    """What a week of calls measures: the share nobody answered (the attempt's length is
    the model's: an agent logs it as such)."""
    share = fmean(not call.answered for call in calls) if calls else 0.0
    return Absence(share=share, attempt_seconds=model.attempt_seconds)


def check_estimates(
    models: Sequence[CallbackQueueModel],
    *,
    start: datetime,
    seed: int,
    estimator_for: Callable[[CallbackQueueModel], Estimator],
) -> list[WaitComparison]:
    """Quoted against simulated waits, per queue, for one seeded week."""
    return [
        compare(
            model.name,
            simulate_week(model, start=start, estimator=estimator_for(model), seed=seed),
        )
        for model in models
    ]


def staffed_arrivals(
    shifts: Sequence[Schedule], *, start: datetime, handle_seconds: float, load: float
) -> dict[tuple[int, int], float]:
    """Arrival rates that keep each hour's agents busy ``load`` of the time: a demand the
    roster was drawn up for (for a demo or a test week without measurements)."""
    per_agent = load * 3600.0 / handle_seconds
    rates: dict[tuple[int, int], float] = {}
    for hour in range(int(WEEK_SECONDS // 3600)):
        middle = start + timedelta(hours=hour, minutes=30)
        on_shift = sum(
            1
            for schedule in shifts
            if any(s <= middle < e for s, e in open_intervals(schedule, middle, middle))
        )
        if on_shift:
            rates[(hour // 24, hour % 24)] = per_agent * on_shift
    return rates
