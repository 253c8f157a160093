"""How `make bench` reads a page against the bare view: the rule that decides whether a run
fails, so it is held here without measuring anything."""

from __future__ import annotations

import pytest

from bench.harness import BARE_PATH, Measurement, Page, below_floor, table

BARE = Page("bare Django view", BARE_PATH)


def _measured(page: Page, per_second: float) -> Measurement:
    return Measurement(
        page=page,
        requests=round(per_second * 10),
        seconds=10.0,
        p50_ms=1.0,
        p99_ms=2.0,
        socket_errors=0,
        timeouts=0,
        unexpected_statuses=0,
    )


PAGE = Page("ticket page", "/hub/tickets/CS-000001/", user="member@acme.example", floor=0.2)


@pytest.mark.parametrize(
    ("run", "missed"),
    [
        # Measured between a fast and a slow reading of the bare view: read against their
        # mean (1,871.5), 414 req/s is 0.221 and passes; against the fast one alone it was
        # 0.194 and failed.
        ([2_132, 414, 1_611], []),
        # Below the floor against both readings fails, whichever is nearer.
        ([2_132, 300, 1_611], ["ticket page: 0.160 of the bare view, below its floor 0.20"]),
        # Nor is the reading after it taken alone: against the slow one only, 250 req/s
        # would pass (0.25).
        ([2_000, 250, 1_000], ["ticket page: 0.167 of the bare view, below its floor 0.20"]),
        # After the last reading, the page is read against it alone.
        ([2_000, 390], ["ticket page: 0.195 of the bare view, below its floor 0.20"]),
        ([2_000, 400], []),
    ],
)
def test_a_page_is_read_against_the_mean_of_the_bare_views_around_it(
    run: list[int], missed: list[str]
) -> None:
    measurements = [
        _measured(BARE if n % 2 == 0 else PAGE, per_second) for n, per_second in enumerate(run)
    ]
    assert below_floor(measurements) == missed


def test_the_table_shows_what_each_page_was_read_against() -> None:
    measurements = [_measured(BARE, 2_132), _measured(PAGE, 414), _measured(BARE, 1_611)]
    rows = table(measurements).splitlines()
    assert rows[0].split()[-5:] == ["bare", "of", "bare", "floor", "failed"]
    assert rows[1].split()[-3:] == ["2,132", "1.000", "0"]
    ticket = rows[2].split()
    assert ticket[-5:] == ["1,872", "0.221", "0.20", "ok", "0"]
    assert rows[3].split()[-3:] == ["1,611", "1.000", "0"]
