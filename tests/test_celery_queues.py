"""The knowledge base's indexing never holds up callbacks: it has a queue of its own."""

from __future__ import annotations

from hub.celery import app


def _queue_of(task: str) -> str:
    return str(app.amqp.router.route({}, task)["queue"].name)


def test_article_indexing_goes_to_its_own_queue_and_ticket_work_to_the_default_one() -> None:
    assert _queue_of("chatbot.tasks.article_version_index") == "knowledge"
    assert _queue_of("chatbot.tasks.knowledge_index_sweep") == "knowledge"
    for task in (
        "tickets.tasks.enqueue_callback",
        "tickets.tasks.enqueue_waiting_callbacks",
        "tickets.tasks.send_ticket_confirmation",
        "tickets.tasks.send_ticket_confirmations",
        "tickets.tasks.send_waiting_confirmations",
    ):
        assert _queue_of(task) == "celery"


def test_a_worker_started_without_a_queue_list_takes_both() -> None:
    assert set(app.amqp.queues) == {"celery", "knowledge"}


def test_beat_keeps_its_schedule_in_memory_not_in_a_shelve_file() -> None:
    """Python 3.13's shelve is SQLite, whose "locking protocol" error once killed the embedded
    beat of a fault test and left the outbox unswept: the sweeps need no saved schedule."""
    from celery.beat import PersistentScheduler, Scheduler
    from celery.utils.imports import symbol_by_name

    scheduler = symbol_by_name(app.conf.beat_scheduler)
    assert issubclass(scheduler, Scheduler) and not issubclass(scheduler, PersistentScheduler)
