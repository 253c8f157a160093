"""A task queued during a request logs, in the worker, with that request's id."""

from __future__ import annotations

import json

import pytest

from hub.accounts.models import User
from hub.log import request_id_clear, request_id_set
from tickets.models import Channel, Team, Ticket
from tickets.services import ticket_create

from .conftest import tasks_to_the_broker, wait_for, worker_log

pytestmark = pytest.mark.integration


def test_the_workers_lines_for_a_task_carry_the_id_of_the_request_that_queued_it(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    worker = start_worker()  # type: ignore[operator]
    request_id = "5e1f0c9a-3b7d-4f2e-8a61-0d9c2b4e7f13"
    # As RequestIdMiddleware does for the request that submits the form.
    request_id_set(request_id)
    try:
        with tasks_to_the_broker():
            ticket = ticket_create(
                requester=standard_user,
                channel=Channel.EMAIL,
                team=Team.TECHNICAL,
                subject="Traced through the worker",
            )
    finally:
        request_id_clear()

    def log_lines() -> list[dict[str, object]]:
        text = worker_log(request, 0).read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def succeeded() -> list[dict[str, object]]:
        return [line for line in log_lines() if "succeeded" in str(line.get("message"))]

    # The worker logs "succeeded" after the task has written the ticket, so wait for the line.
    wait_for(
        lambda: any(
            "send_waiting_confirmations" in str(line.get("message")) for line in succeeded()
        ),
        timeout=60,
        what="the worker to log the confirmation task's success",
    )
    assert worker.poll() is None, "the worker died"
    assert Ticket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=False).exists()
    lines = log_lines()
    assert {line["request_id"] for line in succeeded()} == {request_id}
    # The worker's own lines, outside any task, belong to no request.
    assert any(line["request_id"] == "-" for line in lines)
