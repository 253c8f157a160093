"""Issue 9's figures: live-chat message delivery latency under the production server.

50 chats (BENCH_CHAT_COUNT) are open at once, each between a customer and an agent; both
sides are async HTTP clients (httpx) that do what the chat page's htmx does: poll
"messages after id N" every interval (a tick is skipped while the last poll is still out,
as hx-sync="this:drop" does) and, now and then, send a message with a key of its own. The
latency of a message is from the moment its POST starts to the moment the other side's poll
first returns it. Each poll interval in BENCH_CHAT_INTERVALS (seconds, default 1,0.5,2) is
measured for BENCH_CHAT_SECONDS (20); a message lost or shown twice fails the run.

The chat page and the console are measured with wrk like every other page.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import time as clock_time

from bench import harness

PASSWORD = harness.DEMO_PASSWORD
_TOKEN = re.compile(r"bench-[0-9a-f]{12}")
_CURSOR = re.compile(r'name="after" value="(\d+)"')


@dataclass(frozen=True)
class BenchChat:
    number: str
    customer: str
    agent: str


CHATS: list[BenchChat] = []
# Signed-in sessions made by the seeder (the sign-in form's rate limit would refuse a hundred
# sign-ins from one address in a minute, rightly): email → Cookie header.
COOKIES: dict[str, str] = {}


def _count() -> int:
    return harness._env_int("BENCH_CHAT_COUNT", 50, low=1, high=500)


def extend(plan: harness.Plan) -> None:
    def seed() -> None:
        chat_seed()
        first = CHATS[0]
        plan.pages.append(
            harness.Page(
                "/hub/chats/<n>/ (customer, chat page)",
                f"/hub/chats/{first.number}/",
                user=first.customer,
            )
        )
        plan.pages.append(
            harness.Page(
                "/hub/agents/chats/ (agent, 3 chats)", "/hub/agents/chats/", user=first.agent
            )
        )

    seed.__qualname__ = "chat_seed"
    plan.seeders.append(seed)
    plan.scenarios.append(chat_scenario)


def chat_seed() -> None:
    """Customers, agents who take English chats, and the chats between them, all accepted."""
    from django.conf import settings

    from hub.accounts.models import Membership, Organisation, StaffRole, User
    from hub.accounts.services import staff_groups_ensure
    from routing.configuration import configuration_changed
    from routing.models import Agent, AgentShift, ProductArea
    from tickets.chat.services import chat_accept, chat_presence_set, chat_start

    count = _count()
    per_agent = int(getattr(settings, "CHAT_AGENT_MAX_CHATS", 3))
    organisation = Organisation.objects.get(name="Acme Research")
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    agents_group = staff_groups_ensure()[StaffRole.AGENT]
    agents = []
    for n in range(-(-count // per_agent)):
        user = User.objects.create_user(
            username=f"bench.agent{n}@hub.example",
            email=f"bench.agent{n}@hub.example",
            password=PASSWORD,
            is_staff=True,
            first_name=f"Agent{n}",
        )
        user.groups.add(agents_group)
        agent = Agent.objects.create(user=user, languages=["en"], available_for_chat=True)
        AgentShift.objects.bulk_create(
            AgentShift(agent=agent, weekday=day, opens=clock_time(0), closes=clock_time(0))
            for day in range(7)
        )
        configuration_changed()  # bulk_create sends no signal
        chat_presence_set(agent=user, available=True)
        agents.append(user)
        COOKIES[user.email] = _signed_in(user)
    for n in range(count):
        customer = User.objects.create_user(
            username=f"bench.customer{n}@acme.example",
            email=f"bench.customer{n}@acme.example",
            password=PASSWORD,
            first_name=f"Customer{n}",
        )
        Membership.objects.create(user=customer, organisation=organisation)
        session = chat_start(
            requester=customer, product_area=area, language="en", message=f"Bench chat {n}"
        )
        agent = agents[n // per_agent]
        chat_accept(session_id=session.pk, agent=agent)
        COOKIES[customer.email] = _signed_in(customer)
        CHATS.append(BenchChat(session.ticket.number, customer.email, agent.email))


def _signed_in(user: object) -> str:
    """A session as the sign-in leaves it, and a CSRF cookie to match the header."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)  # type: ignore[attr-defined]
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()  # type: ignore[attr-defined]
    store.create()
    csrf = _get_new_csrf_string()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"


@dataclass
class Tally:
    sent: dict[str, float] = field(default_factory=dict)  # token → when its POST started
    latencies: list[float] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)  # side → tokens seen
    doubled: int = 0
    polls: list[float] = field(default_factory=list)
    sends: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Side:
    """One side of one chat, as its page behaves."""

    def __init__(self, chat: BenchChat, email: str, cookie: str, base_url: str) -> None:
        self.chat = chat
        self.name = f"{chat.number}:{email}"
        self.cursor = 0
        self.base_url = base_url
        # hx-sync: a poll is dropped while a request is out; a send waits its turn.
        self.busy = asyncio.Lock()
        csrf = re.search(r"csrftoken=([^;]+)", cookie)
        self.headers = {
            "Cookie": cookie,
            "HX-Request": "true",
            "X-CSRFToken": csrf.group(1) if csrf else "",
            "Origin": base_url,
        }

    def take(self, html: str, tally: Tally, now: float, *, mine: set[str]) -> None:
        cursor = _CURSOR.search(html)
        if cursor:
            self.cursor = max(self.cursor, int(cursor.group(1)))
        seen = tally.seen.setdefault(self.name, set())
        for token in _TOKEN.findall(html):
            if token in seen:
                tally.doubled += 1
                continue
            seen.add(token)
            if token not in mine and token in tally.sent:
                tally.latencies.append(now - tally.sent[token])


async def _poll(client, side: Side, tally: Tally, mine: set[str], interval: float, until: float):  # type: ignore[no-untyped-def]
    path = f"/hub/chats/{side.chat.number}/messages/"
    tick = time.perf_counter() + random.uniform(0, interval)
    while tick < until:
        await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        if not side.busy.locked():
            async with side.busy:
                started = time.perf_counter()
                try:
                    reply = await client.get(
                        path,
                        params={"after": side.cursor, "state": "active"},
                        headers=side.headers,
                    )
                except Exception as exc:  # noqa: BLE001 - counted; the next tick asks again
                    tally.errors.append(f"poll {type(exc).__name__}")
                else:
                    done = time.perf_counter()
                    tally.polls.append(done - started)
                    if reply.status_code != 200:
                        tally.errors.append(f"poll HTTP {reply.status_code}")
                    side.take(reply.text, tally, done, mine=mine)
        # htmx's "every": the next tick on the clock; ticks while a request is out are dropped.
        tick += interval
        while tick < time.perf_counter():
            tick += interval


async def _send(client, side: Side, tally: Tally, mine: set[str], until: float) -> None:  # type: ignore[no-untyped-def]
    path = f"/hub/chats/{side.chat.number}/send/"
    await asyncio.sleep(random.uniform(0.5, 3.0))
    while time.perf_counter() < until:
        token = f"bench-{uuid.uuid4().hex[:12]}"
        key = uuid.uuid4().hex
        mine.add(token)
        async with side.busy:
            started = time.perf_counter()
            tally.sent[token] = started
            # As the page does: a send that got no answer is sent again with the same key.
            for _attempt in range(3):
                try:
                    reply = await client.post(
                        path,
                        data={
                            "body": f"Message {token}",
                            "client_key": key,
                            "after": side.cursor,
                            "state": "active",
                        },
                        headers=side.headers,
                    )
                except Exception as exc:  # noqa: BLE001 - counted, then sent again
                    tally.errors.append(f"send {type(exc).__name__}")
                    continue
                done = time.perf_counter()
                tally.sends.append(done - started)
                if reply.status_code != 200 or "field__error" in reply.text:
                    tally.errors.append(f"send HTTP {reply.status_code}")
                side.take(reply.text, tally, done, mine=mine)
                break
        await asyncio.sleep(random.uniform(2.0, 4.0))


async def _run(hub: harness.LiveHub, interval: float, seconds: float) -> Tally:
    import httpx

    tally = Tally()
    limits = httpx.Limits(max_connections=4 * len(CHATS), max_keepalive_connections=4 * len(CHATS))
    async with httpx.AsyncClient(base_url=hub.base_url, limits=limits, timeout=30) as client:
        until = time.perf_counter() + seconds
        drain = until + max(5.0, 3 * interval)
        tasks = []
        for chat in CHATS:
            for email in (chat.customer, chat.agent):
                side = Side(chat, email, COOKIES[email], hub.base_url)
                mine: set[str] = set()
                tasks.append(_poll(client, side, tally, mine, interval, drain))
                tasks.append(_send(client, side, tally, mine, until))
        await asyncio.gather(*tasks)
    return tally


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def chat_scenario(hub: harness.LiveHub) -> None:
    if not CHATS:
        raise harness.BenchError("bench/chat.py: the seeder made no chats")
    seconds = harness._env_int("BENCH_CHAT_SECONDS", 20, low=3, high=600)
    raw = os.environ.get("BENCH_CHAT_INTERVALS", "1,0.5,2")
    intervals = [float(part) for part in raw.split(",") if part.strip()]
    for email in (CHATS[0].customer, CHATS[0].agent):
        reply = harness.http_request(
            hub.base_url,
            "GET",
            f"/hub/chats/{CHATS[0].number}/",
            headers={"Cookie": COOKIES[email]},
        )
        if reply.status != 200:
            raise harness.BenchError(
                f"chat: {email} cannot open the chat page: HTTP {reply.status}"
            )
    print(
        f"\nchat: {len(CHATS)} simultaneous chats, customer and agent each an async httpx "
        f"client polling and sending (one message every 2-4 s per side), {seconds} s per "
        "interval; latency = POST starts → the other side's poll returns it",
        flush=True,
    )
    print(
        f"{'poll every':>10}  {'messages':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  "
        f"{'polls/s':>7}  {'poll p50':>8}  {'poll p99':>8}  {'send p99':>8}  {'lost':>4}  "
        f"{'doubled':>7}  {'errors':>6}",
        flush=True,
    )
    failures = []
    # Each interval's errors by kind, printed under the table: an error that lost no message
    # still says what the server answered.
    errors_by_kind: list[str] = []
    for interval in intervals:
        tally = asyncio.run(_run(hub, interval, seconds))
        if tally.errors:
            kinds = ", ".join(
                f"{kind} × {count}" for kind, count in Counter(tally.errors).most_common()
            )
            errors_by_kind.append(f"chat errors, polling every {interval:.1f}s: {kinds}")
        lost = len(tally.sent) - len(tally.latencies)
        polls_per_second = len(tally.polls) / (seconds + max(5.0, 3 * interval))
        print(
            f"{interval:>9.1f}s  {len(tally.latencies):>8}  "
            f"{_percentile(tally.latencies, 0.5) * 1000:>7.0f}  "
            f"{_percentile(tally.latencies, 0.99) * 1000:>7.0f}  "
            f"{max(tally.latencies, default=0) * 1000:>7.0f}  {polls_per_second:>7.0f}  "
            f"{_percentile(tally.polls, 0.5) * 1000:>8.1f}  "
            f"{_percentile(tally.polls, 0.99) * 1000:>8.1f}  "
            f"{_percentile(tally.sends, 0.99) * 1000:>8.1f}  {lost:>4}  {tally.doubled:>7}  "
            f"{len(tally.errors):>6}",
            flush=True,
        )
        if lost or tally.doubled:
            failures.append(
                f"every {interval}s: {lost} lost, {tally.doubled} doubled, "
                f"errors {statistics.multimode(tally.errors) if tally.errors else []} "
                f"({len(tally.errors)})"
            )
    for line in errors_by_kind:
        print(line, flush=True)
    if failures:
        raise harness.BenchError("chat: " + "; ".join(failures))
