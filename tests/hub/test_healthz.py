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


PUBLIC_ONLY = override_settings(ALLOWED_HOSTS=["hub.example.com"])
PROBE_HOST = {"host": "127.0.0.1:8000"}


@pytest.mark.django_db
@PUBLIC_ONLY
def test_the_containers_probe_on_loopback_gets_200_whatever_allowed_hosts_says(
    client: Client,
) -> None:
    response = client.get("/healthz", headers=PROBE_HOST)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    # Through the proxy, with the public name, too.
    assert client.get("/healthz", headers={"host": "hub.example.com"}).status_code == 200


@pytest.mark.django_db
@PUBLIC_ONLY
@pytest.mark.parametrize("path", ["/", "/healthz/", "/healthz/x", "/healthzz", "/accounts/login/"])
def test_every_other_path_on_a_host_not_allowed_still_gets_400(client: Client, path: str) -> None:
    assert client.get(path, headers=PROBE_HOST).status_code == 400
    assert client.get(path, headers={"host": "evil.example"}).status_code == 400


@pytest.mark.django_db
@PUBLIC_ONLY
@pytest.mark.parametrize("method", ["post", "put", "delete", "head", "options"])
def test_only_get_on_healthz_skips_the_host_check(client: Client, method: str) -> None:
    response = getattr(client, method)("/healthz", headers=PROBE_HOST)
    assert response.status_code == 400
