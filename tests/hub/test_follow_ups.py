"""Follow-ups a worker's task calls for run in the same process when it ends; those with a
batched form run as one call."""

from __future__ import annotations

from typing import Any

import pytest
from celery import shared_task

from hub import follow_ups

calls: list[tuple[str, Any]] = []


@shared_task
def _one(item: int) -> None:
    calls.append(("one", item))


@shared_task
def _many(items: list[int]) -> None:
    calls.append(("many", items))


@shared_task
def _other(item: int) -> None:
    calls.append(("other", item))


@pytest.fixture
def in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    calls.clear()
    monkeypatch.setattr(follow_ups, "in_worker_task", lambda: True)
    monkeypatch.setitem(follow_ups._batched, _one.name, _many)


def test_follow_ups_held_side_by_side_run_as_one_batch_in_the_order_called_for(
    in_a_worker: None,
) -> None:
    with follow_ups.follow_ups_after():
        for item in (1, 2, 3):
            assert follow_ups.follow_up_here(_one, item)
        assert follow_ups.follow_up_here(_other, 4)
        assert follow_ups.follow_up_here(_one, 5)
        assert calls == []
    assert calls == [("many", [1, 2, 3]), ("other", 4), ("one", 5)]


def test_a_follow_up_called_for_outside_a_held_run_runs_at_once(in_a_worker: None) -> None:
    assert follow_ups.follow_up_here(_one, 7)
    assert calls == [("one", 7)]


def test_the_outbox_sends_a_runs_emails_in_one_batch() -> None:
    from hub.accounts import tasks

    assert follow_ups._batched[tasks.outbound_email_send.name] is tasks.outbound_emails_send
