from __future__ import annotations

import pytest
from django.test import Client, override_settings


@pytest.mark.smoke
@pytest.mark.django_db
def test_healthz_answers_200_with_what_it_checked(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] in {"ok", "not configured"}


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_redis_does_not_answer(client: Client) -> None:
    # Port 1 on loopback refuses at once: a broker that is down.
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "broker": "down",
        "parked": {"tickets": 0, "chats": 0, "transcripts": 0, "emails": 0},
    }
