"""What an operator sees from outside: /metrics behind its token, the hub's gauges, JSON log
lines carrying the request id, and errors reported to Sentry without personal data."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from tickets.models import CallbackRequest, Channel, Status, Ticket
from tickets.numbering import next_ticket_number

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-the-tests-0123456789"
WITH_TOKEN = override_settings(METRICS_TOKEN=TOKEN)
BEARER = {"authorization": f"Bearer {TOKEN}"}


def samples(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


# --- The endpoint and its token ----------------------------------------------------------------


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="")
def test_without_a_token_configured_there_is_no_metrics_endpoint(client: Client) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.django_db
@WITH_TOKEN
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-of-the-same-kind-012345", f"Basic {TOKEN}", f"Bearer {TOKEN}x"],
)
def test_a_scrape_without_the_right_bearer_token_is_refused(
    client: Client, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"hub_" not in response.content


@pytest.mark.django_db
@WITH_TOKEN
def test_a_scrape_with_the_token_counts_the_requests_served(client: Client) -> None:
    client.get("/healthz")
    client.get("/no-such-page/")
    before = samples(client)
    client.get("/no-such-page/")
    after = samples(client)
    labels = (("method", "GET"), ("status", "404"), ("view", "unresolved"))
    key = ("hub_http_requests_total", labels)
    assert after[key] == before[key] + 1
    assert any(name == "hub_http_request_duration_seconds_count" for name, _ in after)


# --- The hub's gauges -----------------------------------------------------------------------------


@pytest.mark.django_db
@WITH_TOKEN
def test_a_waiting_callback_shows_in_its_queues_gauges(
    client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    assert not [key for key in samples(client) if key[0] == "hub_callbacks_waiting"]
    ticket = Ticket.objects.create(
        number=next_ticket_number(),
        requester=standard_user,
        organisation=standard_user.membership.organisation,
        team="technical",
        product_area=surveys_area,
        channel=Channel.PHONE,
        phone_number="+442079460018",
        language="it",
        subject="The survey will not send",
        status=Status.QUEUED,
    )
    CallbackRequest.objects.create(
        ticket=ticket,
        language="it",
        product_area=surveys_area,
        team="technical",
        enqueued_at=timezone.now() - timedelta(minutes=7),
    )
    found = samples(client)
    labels = (("area", surveys_area.name), ("language", "it"), ("team", "technical"))
    assert found[("hub_callbacks_waiting", labels)] == 1
    assert 7 * 60 <= found[("hub_callback_oldest_wait_seconds", labels)] < 8 * 60
    assert found[("hub_chats_waiting", ())] == 0
    assert found[("hub_chat_agents_available", ())] == 0


@pytest.mark.django_db
@WITH_TOKEN
def test_the_outbox_gauges_count_what_is_unsent_failing_and_parked(client: Client) -> None:
    def email(number: int, **fields: object) -> None:
        OutboundEmail.objects.create(
            purpose="test",
            message_id=f"<{number}@hub.example>",
            from_email="support@hub.example",
            to=["someone@example.com"],
            subject="Hello",
            body="Hello",
            **fields,
        )

    now = timezone.now()
    email(1)
    email(2, attempts=2)
    email(3, sent_at=now)
    email(4, attempts=5, parked_at=now)
    found = samples(client)
    assert found[("hub_outbox_emails_pending", ())] == 2
    assert found[("hub_outbox_emails_failing", ())] == 1
    assert found[("hub_parked", (("kind", "emails"),))] == 1
    assert found[("hub_parked", (("kind", "tickets"),))] == 0


@pytest.mark.django_db
@WITH_TOKEN
def test_a_task_that_raises_is_counted_as_a_task_failure(client: Client) -> None:
    from celery import shared_task

    @shared_task(name="tests.observability.always_fails")
    def always_fails() -> None:
        raise RuntimeError("this task always fails")

    key = ("hub_celery_task_failures_total", (("task", "tests.observability.always_fails"),))
    before = samples(client).get(key, 0)
    # Run as a worker runs it (apply: the task's signals fire, the error is kept, not raised).
    result = always_fails.apply(throw=False)
    assert result.failed()
    assert samples(client)[key] == before + 1


# --- Logs -----------------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, object]]]]:
    """The JSON lines the configured console handler writes (settings.LOGGING)."""
    assert settings.LOG_FORMAT == "json"  # DEBUG is off in the tests, as in production
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and isinstance(handler.formatter, JsonFormatter)
    ]
    assert len(handlers) == 1
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handlers[0].setStream(previous)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_log_line_of_a_request_is_json_with_the_proxys_request_id(
    client: Client, log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    request_id = "0f6b2f0e-5a3c-4d1e-9b7a-2c8d4e6f8a1b"
    response = client.get("/no-such-page/", headers={"x-request-id": request_id})
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    [line] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == request_id
    assert line["level"] == "WARNING"
    assert "Not Found: /no-such-page/" in str(line["message"])
    assert "time" in line


@pytest.mark.django_db
def test_a_malformed_request_id_is_replaced_by_one_made_here(
    client: Client, log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    response = client.get("/no-such-page/", headers={"x-request-id": 'bad id"\u00e9 with spaces'})
    made = response["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    [line] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == made
    # Without a header, each request gets its own.
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_outside_a_request_a_log_line_says_so(
    log_lines: Callable[[], list[dict[str, object]]],
) -> None:
    logging.getLogger("hub.tests").warning("between requests")
    [line] = log_lines()
    assert line["request_id"] == "-"
    assert line["message"] == "between requests"


# --- Sentry -------------------------------------------------------------------------------------


class _Envelopes(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_with_sentry_dsn_set_an_error_is_reported_without_personal_data(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Envelopes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Envelopes.received = []
    port = server.server_address[1]
    script = """
import os, django, sentry_sdk
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
from django.urls import path
import hub.urls
def broken(request):
    raise RuntimeError("the page broke")
hub.urls.urlpatterns.append(path("broken", broken))
# What the request carries comes from outside this code, whose lines Sentry quotes.
response = client.post(
    "/broken",
    {"description": os.environ["PERSONAL_TEXT"]},
    HTTP_COOKIE=os.environ["PERSONAL_COOKIE"],
    REMOTE_ADDR=os.environ["PERSONAL_ADDRESS"],
)
assert response.status_code == 500, response.status_code
sentry_sdk.flush(5)
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "HUB_TEST_EMBEDDED": "1",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1",
        "ALLOWED_HOSTS": "testserver",
        "PERSONAL_TEXT": "my phone is +442079460018",
        "PERSONAL_COOKIE": "remembered=secret-cookie",
        "PERSONAL_ADDRESS": "203.0.113.9",
    }
    try:
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    finally:
        server.shutdown()
    events = b"".join(_Envelopes.received)
    assert b"the page broke" in events
    assert b"+442079460018" not in events
    assert b"secret-cookie" not in events
    assert b"203.0.113.9" not in events
