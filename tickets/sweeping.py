"""How every beat sweep works through its rows: one at a time, each in its own transaction.

A row whose work raises is counted (``SweptRow``), tried again after a back-off that doubles
each time, and parked with its error after ``SWEEP_MAX_FAILURES``; the sweep goes on with
the next row. Without this, one row whose email could not be built stopped the whole sweep
on every run, and every row behind it waited forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from tickets.models import SweptRow

logger = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(hours=1)


def sweep_due[M: SweptRow](rows: QuerySet[M], *, now: datetime) -> QuerySet[M]:
    """The rows a sweep may try now: not parked, and not waiting out a back-off."""
    return rows.filter(sweep_parked_at__isnull=True).filter(
        Q(sweep_retry_at__isnull=True) | Q(sweep_retry_at__lte=now)
    )


def sweep_retry[M: SweptRow](*, rows: QuerySet[M]) -> int:
    """An agent fixed what made these rows fail: the next sweep tries them afresh."""
    return rows.filter(Q(sweep_parked_at__isnull=False) | Q(sweep_failures__gt=0)).update(
        sweep_failures=0, sweep_retry_at=None, sweep_parked_at=None, sweep_error=""
    )


def sweep_backoff(failures: int) -> timedelta:
    """The wait after the n-th failure: one sweep interval, doubling, at most an hour."""
    seconds = settings.TICKETS_SWEEP_INTERVAL * 2 ** min(max(failures - 1, 0), 16)
    return min(timedelta(seconds=seconds), BACKOFF_CAP)


def sweep_each(
    model: type[SweptRow],
    ids: Iterable[int],
    work: Callable[[int], object],
    *,
    now: datetime,
    what: str,
) -> tuple[int, int]:
    """Do ``work`` for each id in a transaction of its own; (done, failed).

    ``work`` returns something true when it did something (False: already done)."""
    done = failed = 0
    for pk in list(ids):
        try:
            with transaction.atomic():
                if work(pk):
                    done += 1
        except Exception as error:  # noqa: BLE001 - whatever it is, the next row goes on
            failed += 1
            sweep_failure_record(model=model, pk=pk, error=error, now=now, what=what)
    return done, failed


def sweep_failure_record(
    *, model: type[SweptRow], pk: int, error: BaseException, now: datetime, what: str
) -> None:
    """Count a failure on the row; park it after SWEEP_MAX_FAILURES."""
    rows = model._default_manager.filter(pk=pk)
    message = f"{what}: {type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        failures = rows.select_for_update().values_list("sweep_failures", flat=True).first()
        if failures is None:
            return  # the row is gone
        failures += 1
        parked = failures >= settings.SWEEP_MAX_FAILURES
        rows.update(
            sweep_failures=failures,
            sweep_error=message,
            sweep_retry_at=now + sweep_backoff(failures),
            sweep_parked_at=now if parked else None,
        )
    log = logger.error if parked else logger.warning
    log(
        "%s %s #%s failed (%d of %d)%s: %s",
        what,
        model._meta.model_name,
        pk,
        failures,
        settings.SWEEP_MAX_FAILURES,
        ", parked" if parked else "",
        message,
        exc_info=error,
    )
