"""The hub's own gauges, computed when Prometheus scrapes (so every gunicorn process answers
the same, and nothing is kept between scrapes).

Each figure is one query on a partial index, whose size is the waiting or failed work, never
the number of tickets or emails ever written.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.accounts.selectors import outbound_email_backlog, outbound_emails_parked_count
from routing.selectors import chat_max_chats_per_agent
from tickets.chat.selectors import chats_waiting
from tickets.queues import chat_console
from tickets.selectors import callback_queue_summary, sweep_parked_counts


def _age(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0) if since else 0.0


class HubCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()

        queue_labels = ["language", "area", "team"]
        waiting = GaugeMetricFamily(
            "hub_callbacks_waiting",
            "Phone callbacks waiting for an agent, by queue (language, product area, team).",
            labels=queue_labels,
        )
        oldest = GaugeMetricFamily(
            "hub_callback_oldest_wait_seconds",
            "How long the longest-waiting callback of each queue has waited.",
            labels=queue_labels,
        )
        for line in callback_queue_summary():
            labels = [line.language, line.area, line.team]
            waiting.add_metric(labels, line.waiting)
            oldest.add_metric(labels, _age(line.oldest, now))
        yield waiting
        yield oldest

        chats = chats_waiting()
        yield GaugeMetricFamily(
            "hub_chats_waiting", "Chats no agent has accepted yet.", value=chats.count
        )
        yield GaugeMetricFamily(
            "hub_chat_oldest_wait_seconds",
            "How long the longest-waiting chat has waited (0 when none waits).",
            value=_age(chats.oldest, now),
        )

        console = chat_console(now)
        most = chat_max_chats_per_agent()
        yield GaugeMetricFamily(
            "hub_chat_agents_available",
            "Agents taking chats now (switched on in the console, heartbeat fresh).",
            value=len(console),
        )
        yield GaugeMetricFamily(
            "hub_chat_agents_free",
            "Agents taking chats who hold fewer than CHAT_AGENT_MAX_CHATS.",
            value=sum(1 for held in console.values() if held < most),
        )

        backlog = outbound_email_backlog()
        yield GaugeMetricFamily(
            "hub_outbox_emails_pending",
            "Outgoing emails written and not sent yet (the outbox's backlog).",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "hub_outbox_emails_failing",
            "Outgoing emails not sent yet that failed at least once (to be retried).",
            value=backlog.failing,
        )
        yield GaugeMetricFamily(
            "hub_outbox_oldest_pending_seconds",
            "Age of the oldest outgoing email not sent yet (0 when none is pending).",
            value=_age(backlog.oldest, now),
        )

        parked = GaugeMetricFamily(
            "hub_parked",
            "Rows the sweeps gave up on after repeated failures, waiting for an operator.",
            labels=["kind"],
        )
        for kind, count in {
            **sweep_parked_counts(),
            "emails": outbound_emails_parked_count(),
        }.items():
            parked.add_metric([kind], count)
        yield parked
