"""The soak's load, for locust (`bench/soak.py` runs it headless on loopback; never alone).

Members browse (the hub, areas, the method picker, the self-help pages, their tickets) and
submit phone and email requests (a fresh idempotency key each, sometimes sent twice as a
double click would); customers write in their chats and poll them; agents poll the console,
answer in their chats and open the admin's ticket list. Every request is paced to the rate
the soak asks for (SOAK_PACE requests per second per user; 0: as fast as answers come).

What the soak checks afterwards is written to SOAK_RESULTS at the end: the submissions that
were answered with their ticket (to find each ticket, its callback and its email once), and
the answers by status.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from collections import Counter
from typing import Any

from locust import HttpUser, constant, constant_throughput, events, task

WORLD: dict[str, Any] = json.loads(open(os.environ["SOAK_WORLD"]).read())  # noqa: SIM115
PACE = float(os.environ.get("SOAK_PACE", "0"))
SUBMITTED: list[dict[str, str]] = []
STATUSES: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()


def _wait() -> Any:
    return constant_throughput(PACE) if PACE > 0 else constant(0)


def _csrf(cookie: str) -> str:
    found = re.search(r"csrftoken=([^;]+)", cookie)
    return found.group(1) if found else ""


class _Paced(HttpUser):
    abstract = True
    wait_time = _wait()

    def _call(
        self,
        method: str,
        path: str,
        *,
        cookie: str,
        name: str,
        ok: tuple[int, ...] = (200,),
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        with self.client.request(
            method,
            path,
            name=name,
            data=data,
            headers={"Cookie": cookie, **(headers or {})},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code
            STATUSES[f"{status // 100}xx"] += 1
            if status >= 500 or status == 0:
                SERVER_ERRORS[f"{name} {status}"] += 1
                response.failure(f"HTTP {status}")
            elif status not in ok:
                response.failure(f"HTTP {status}, expected {ok}")
            else:
                response.success()
            return int(status)


class Member(_Paced):
    """A member of the organisation with 100,000 tickets: browses, and asks for help."""

    weight = 8

    def on_start(self) -> None:
        self.member = random.choice(WORLD["members"])
        self.cookie = self.member["cookie"]

    def _area(self) -> str:
        return str(random.choice(WORLD["areas"]))

    @task(3)
    def hub_home(self) -> None:
        self._call("GET", "/hub/", cookie=self.cookie, name="/hub/")

    @task(3)
    def area_page(self) -> None:
        self._call(
            "GET", f"/hub/technical/areas/{self._area()}/", cookie=self.cookie, name="area page"
        )

    @task(4)
    def method_picker(self) -> None:
        self._call(
            "GET",
            f"/hub/technical/areas/{self._area()}/contact/",
            cookie=self.cookie,
            name="method picker",
        )

    @task(2)
    def support(self) -> None:
        self._call("GET", f"/support/{self._area()}/", cookie=self.cookie, name="/support/<area>/")

    @task(2)
    def ticket_list(self) -> None:
        self._call("GET", "/hub/tickets/", cookie=self.cookie, name="/hub/tickets/")

    @task(2)
    def ticket_page(self) -> None:
        if self.member["tickets"]:
            number = random.choice(self.member["tickets"])
            self._call("GET", f"/hub/tickets/{number}/", cookie=self.cookie, name="ticket page")

    def _submit(self, kind: str, data: dict[str, str]) -> None:
        area = self._area()
        key = uuid.uuid4().hex
        form = {"csrfmiddlewaretoken": _csrf(self.cookie), "idempotency_key": key, **data}
        if kind == "phone":
            form["area"] = area
        path = f"/hub/technical/areas/{area}/contact/{kind}/"
        sends = 2 if random.random() < 0.1 else 1  # a double click now and then
        for _ in range(sends):
            status = self._call(
                "POST", path, cookie=self.cookie, name=f"{kind} POST", ok=(302,), data=form
            )
            if status == 302:
                SUBMITTED.append({"kind": kind, "key": key, "member": self.member["email"]})

    @task(1)
    def phone(self) -> None:
        self._submit(
            "phone",
            {
                "language": "en",
                "country": "GB",
                "number": "020 7946 0123",
                "extension": "",
                "email": self.member["email"],
                "recording_consent": "on",
                "subject": "Soak phone callback",
            },
        )

    @task(1)
    def email(self) -> None:
        self._submit(
            "email",
            {
                "language": "en",
                "subject": "Soak email request",
                "description": "The CSV export stops at 80 % and never finishes.",
            },
        )


def _chat_send(user: _Paced, number: str, cookie: str, who: str) -> None:
    user._call(
        "POST",
        f"/hub/chats/{number}/send/",
        cookie=cookie,
        name=f"chat send ({who})",
        data={
            "body": f"Soak message {uuid.uuid4().hex[:8]}",
            "client_key": uuid.uuid4().hex,
            "after": "0",
            "state": "active",
        },
        headers={"HX-Request": "true", "X-CSRFToken": _csrf(cookie)},
    )


class ChatCustomer(_Paced):
    """A customer in a live chat: polls it, and writes now and then."""

    weight = 1

    def on_start(self) -> None:
        self.chat = random.choice(WORLD["chats"])

    @task(4)
    def poll(self) -> None:
        self._call(
            "GET",
            f"/hub/chats/{self.chat['number']}/messages/?after=0&state=active",
            cookie=self.chat["customer_cookie"],
            name="chat poll (customer)",
            headers={"HX-Request": "true"},
        )

    @task(1)
    def write(self) -> None:
        _chat_send(self, self.chat["number"], self.chat["customer_cookie"], "customer")


class Agent(_Paced):
    """An agent: the chat console, answers in their chats, the admin's ticket list."""

    weight = 1

    def on_start(self) -> None:
        self.chat = random.choice(WORLD["chats"])

    @task(3)
    def console(self) -> None:
        self._call(
            "GET", "/hub/agents/chats/", cookie=self.chat["agent_cookie"], name="chat console"
        )

    @task(2)
    def answer(self) -> None:
        _chat_send(self, self.chat["number"], self.chat["agent_cookie"], "agent")

    @task(1)
    def admin_list(self) -> None:
        self._call(
            "GET", "/admin/tickets/ticket/", cookie=WORLD["staff_cookie"], name="admin tickets"
        )


@events.test_stop.add_listener
def _write_results(**_kwargs: Any) -> None:
    with open(os.environ["SOAK_RESULTS"], "w") as results:
        json.dump(
            {
                "submitted": SUBMITTED,
                "statuses": dict(STATUSES),
                "server_errors": dict(SERVER_ERRORS),
            },
            results,
        )
