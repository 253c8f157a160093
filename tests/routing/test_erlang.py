"""The queueing maths, checked against closed forms, published tables and exact arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    estimate_wait,
    gamma_quantile,
    regularized_lower_gamma,
    service_level,
    steady_state_wait,
    wait_behind,
)


def exact_erlang_b(servers: int, traffic: Fraction) -> Fraction:
    """Straight from the definition: (A^N/N!) / sum_k A^k/k!, in exact rationals."""
    terms = [traffic**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, traffic: Fraction) -> Fraction:
    """Straight from the definition, in exact rationals (an independent computation)."""
    below = sum(traffic**k / math.factorial(k) for k in range(servers))
    top = traffic**servers / math.factorial(servers) * servers / (servers - traffic)
    return top / (below + top)


# --- Closed forms ---------------------------------------------------------------------------


def test_two_agents_at_half_load_make_one_caller_in_three_wait() -> None:
    # M/M/2 with rho = 1/2: P(wait) = 2 rho^2 / (1 + rho) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


@pytest.mark.parametrize("load", [0.1, 0.5, 0.9])
def test_with_one_agent_the_chance_of_waiting_is_the_load(load: float) -> None:
    assert erlang_c(1, load) == pytest.approx(load, rel=1e-12)
    # M/M/1: mean wait in queue = rho / (1 - rho) * h.
    assert average_speed_of_answer(1, load, 100.0) == pytest.approx(load / (1 - load) * 100)


def test_the_median_and_90th_percentile_of_one_call_are_ln2_and_ln10_handle_times() -> None:
    estimate = wait_behind(1, 1, 60.0)
    assert estimate.expected_seconds == pytest.approx(60.0)
    assert estimate.low_seconds == pytest.approx(60 * math.log(2), rel=1e-9)
    assert estimate.high_seconds == pytest.approx(60 * math.log(10), rel=1e-9)


# --- Published values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "traffic", "published"),
    [(5, 3.0, 0.1101), (10, 5.0, 0.0184), (2, 1.0, 0.2)],
)
def test_erlang_b_matches_the_published_tables(
    servers: int, traffic: float, published: float
) -> None:
    assert erlang_b(servers, traffic) == pytest.approx(published, abs=5e-5)
    exact = float(exact_erlang_b(servers, Fraction(traffic)))
    assert erlang_b(servers, traffic) == pytest.approx(exact, rel=1e-12)


# The classic worked example: 100 calls in 30 minutes, 180-second handle time, so 10 erlangs,
# with the service level measured at 20 seconds. Probability of waiting, average speed of
# answer (s) and service level, to the precision they are usually printed.
CLASSIC_EXAMPLE = [
    (11, 0.6821, 122.8, 0.390),
    (12, 0.4494, 40.4, 0.640),
    (13, 0.2853, 17.1, 0.796),
    (14, 0.1741, 7.8, 0.888),
]


@pytest.mark.parametrize(("agents", "p_wait", "asa", "level"), CLASSIC_EXAMPLE)
def test_erlang_c_matches_the_classic_100_calls_in_30_minutes_example(
    agents: int, p_wait: float, asa: float, level: float
) -> None:
    traffic = 100 * 180 / 1800
    assert erlang_c(agents, traffic) == pytest.approx(p_wait, abs=5e-5)
    assert average_speed_of_answer(agents, traffic, 180) == pytest.approx(asa, abs=0.05)
    assert service_level(agents, traffic, 180, 20) == pytest.approx(level, abs=5e-4)


@pytest.mark.parametrize(("agents", "p_wait", "asa", "level"), CLASSIC_EXAMPLE)
def test_the_classic_example_agrees_with_an_exact_rational_computation(
    agents: int, p_wait: float, asa: float, level: float
) -> None:
    exact = exact_erlang_c(agents, Fraction(10))
    assert erlang_c(agents, 10.0) == pytest.approx(float(exact), rel=1e-12)
    assert float(exact) == pytest.approx(p_wait, abs=5e-5)


def test_fourteen_agents_is_the_fewest_that_answer_80_per_cent_in_20_seconds() -> None:
    needed = next(n for n in range(11, 30) if service_level(n, 10.0, 180, 20) >= 0.8)
    assert needed == 14


# --- Numerical behaviour ----------------------------------------------------------------------


def test_erlang_b_stays_finite_for_thousands_of_agents() -> None:
    # A**N / N! would overflow a float long before this; the recursion does not.
    value = erlang_b(5000, 4900.0)
    assert 0.0 < value < 1.0
    assert erlang_c(5000, 4900.0) == pytest.approx(
        5000 * value / (5000 - 4900 * (1 - value)), rel=1e-12
    )


def test_erlang_b_for_a_hundred_agents_agrees_with_exact_arithmetic() -> None:
    exact = float(exact_erlang_b(100, Fraction(90)))
    assert erlang_b(100, 90.0) == pytest.approx(exact, rel=1e-10)


def test_an_overloaded_queue_always_waits_and_waits_forever_on_average() -> None:
    assert erlang_c(3, 3.0) == 1.0
    assert average_speed_of_answer(3, 4.0, 60) == math.inf
    assert service_level(3, 4.0, 60, 20) == 0.0
    assert steady_state_wait(3, 4.0, 60).expected_seconds == math.inf


def test_no_traffic_means_no_wait() -> None:
    assert erlang_c(3, 0.0) == 0.0
    assert steady_state_wait(3, 0.0, 60).high_seconds == 0.0


def test_the_steady_state_percentiles_follow_the_erlang_c_tail() -> None:
    estimate = steady_state_wait(11, 10.0, 180)
    # P(W > t) = C * exp(-(N - A) t / h), so the 90th percentile is h ln(10 C) / (N - A).
    assert estimate.high_seconds == pytest.approx(180 * math.log(10 * 0.682118), rel=1e-5)
    assert estimate.expected_seconds == pytest.approx(average_speed_of_answer(11, 10.0, 180))


@pytest.mark.parametrize("shape", [1, 2, 5, 30, 200, 5000])
@pytest.mark.parametrize("quantile", [0.5, 0.9])
def test_the_gamma_quantile_inverts_the_gamma_distribution(shape: int, quantile: float) -> None:
    x = gamma_quantile(shape, quantile)
    assert regularized_lower_gamma(shape, x) == pytest.approx(quantile, abs=1e-9)


@pytest.mark.parametrize("shape", [1, 2, 3, 7])
def test_the_gamma_distribution_matches_the_poisson_sum_for_whole_shapes(shape: int) -> None:
    x = 2.5
    poisson_tail = sum(math.exp(-x) * x**k / math.factorial(k) for k in range(shape))
    assert regularized_lower_gamma(shape, x) == pytest.approx(1 - poisson_tail, rel=1e-12)


def test_a_request_behind_four_others_waits_for_five_calls_to_finish() -> None:
    estimate = wait_behind(5, 2, 480.0)
    assert estimate.expected_seconds == pytest.approx(5 * 240.0)
    assert estimate.low_seconds < estimate.expected_seconds < estimate.high_seconds


def test_with_nobody_waiting_the_chance_of_waiting_is_erlang_b() -> None:
    estimate = estimate_wait(arrivals_per_hour=30, agents=3, waiting=0, handle_seconds=480)
    traffic = 30 * 480 / 3600
    assert estimate.probability_of_waiting == pytest.approx(erlang_b(3, traffic))
    assert estimate.expected_seconds == pytest.approx(erlang_b(3, traffic) * 480 / 3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrivals_per_hour": 5, "agents": 0, "waiting": 0, "handle_seconds": 300},
        {"arrivals_per_hour": 5, "agents": 1, "waiting": -1, "handle_seconds": 300},
        {"arrivals_per_hour": 5, "agents": 1, "waiting": 0, "handle_seconds": 0},
    ],
)
def test_a_wait_is_not_made_up_from_impossible_numbers(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        estimate_wait(**kwargs)  # type: ignore[arg-type]


# --- Properties ---------------------------------------------------------------------------------

agents = st.integers(1, 60)
waiting = st.integers(0, 200)
arrivals = st.floats(0, 500, allow_nan=False)
handle = st.floats(30, 3600, allow_nan=False)


@given(agents=agents, waiting=waiting, arrivals=arrivals, handle=handle)
def test_the_estimated_wait_grows_with_the_queue(
    agents: int, waiting: int, arrivals: float, handle: float
) -> None:
    shorter = estimate_wait(
        arrivals_per_hour=arrivals, agents=agents, waiting=waiting, handle_seconds=handle
    )
    longer = estimate_wait(
        arrivals_per_hour=arrivals, agents=agents, waiting=waiting + 1, handle_seconds=handle
    )
    assert longer.expected_seconds > shorter.expected_seconds
    assert longer.low_seconds >= shorter.low_seconds
    assert longer.high_seconds > shorter.high_seconds


@given(agents=agents, waiting=waiting, arrivals=arrivals, handle=handle)
def test_the_estimated_wait_shrinks_with_more_agents(
    agents: int, waiting: int, arrivals: float, handle: float
) -> None:
    fewer = estimate_wait(
        arrivals_per_hour=arrivals, agents=agents, waiting=waiting, handle_seconds=handle
    )
    more = estimate_wait(
        arrivals_per_hour=arrivals, agents=agents + 1, waiting=waiting, handle_seconds=handle
    )
    assert more.expected_seconds <= fewer.expected_seconds
    assert more.high_seconds <= fewer.high_seconds
    if fewer.expected_seconds > 0:
        assert more.expected_seconds < fewer.expected_seconds


@given(agents=agents, waiting=waiting, arrivals=arrivals, handle=handle)
def test_the_range_brackets_a_sensible_estimate(
    agents: int, waiting: int, arrivals: float, handle: float
) -> None:
    estimate = estimate_wait(
        arrivals_per_hour=arrivals, agents=agents, waiting=waiting, handle_seconds=handle
    )
    assert 0.0 <= estimate.low_seconds <= estimate.high_seconds
    assert estimate.expected_seconds >= 0.0
    assert 0.0 <= estimate.probability_of_waiting <= 1.0
    if waiting:
        # Behind others, the wait is certain and the range holds the mean.
        assert estimate.low_seconds <= estimate.expected_seconds <= estimate.high_seconds


@given(servers=st.integers(1, 300), load=st.floats(0.01, 0.99))
def test_erlang_c_is_never_below_erlang_b(servers: int, load: float) -> None:
    traffic = servers * load
    assert erlang_c(servers, traffic) >= erlang_b(servers, traffic) - 1e-15
