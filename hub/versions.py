"""Version tokens in the shared cache: how each process tells that something it keeps built
(the routing configuration, the help articles' listings) was changed by anyone.

A writer replaces the token at once and again when its transaction commits, so that a
process which read the rows before the commit reads them again. A reader asks the cache once
per request (the request signals keep the token for the rest of it); outside a request every
read asks. A token the cache has lost is replaced by a new one, so every process reads again.
A signed-in request reads every token with its session, in the same round trip
(``hub.sessions``), and keeps them as if it had asked.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction


class SharedVersion:
    """One kind of data's version token (``key`` in the shared cache)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._this_request = threading.local()

    def connect_request_signals(self) -> None:
        if self not in _IN_REQUESTS:
            _IN_REQUESTS.append(self)
        request_started.connect(self.request_started, weak=False, dispatch_uid=f"{self.key}-in")
        request_finished.connect(self.request_finished, weak=False, dispatch_uid=f"{self.key}-out")

    def request_started(self, **kwargs: Any) -> None:
        self._this_request.in_request, self._this_request.token = True, None

    def request_finished(self, **kwargs: Any) -> None:
        self._this_request.in_request, self._this_request.token = False, None

    def current(self) -> str:
        """The token now (within a request: as the request first read it)."""
        if not getattr(self._this_request, "in_request", False):
            return self._from_cache()
        token: str | None = self._this_request.token
        if token is None:
            token = self._this_request.token = self._from_cache()
        return token

    def _unread_in_request(self) -> bool:
        in_request = getattr(self._this_request, "in_request", False)
        return in_request and self._this_request.token is None

    def _remember(self, token: str) -> None:
        self._this_request.token = token

    def forget_request(self) -> None:
        self._this_request.token = None

    def changed(self) -> None:
        """What the token stands for changed: now, and again when the transaction commits."""
        self.forget_request()
        self._replace()
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            return  # the write is committed already
        # Once per transaction, however many rows it writes (a rolled-back savepoint drops
        # its callbacks, so a later change registers again).
        pending = connection.run_on_commit
        if not any(callback == self._replace for _ids, callback, _robust in pending):
            transaction.on_commit(self._replace)

    def _from_cache(self) -> str:
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, uuid.uuid4().hex, None)
            token = cache.get(self.key) or ""
        return str(token)

    def _replace(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, None)


# The versions kept for the length of a request (connected to the request signals).
_IN_REQUESTS: list[SharedVersion] = []


def unread_in_request() -> list[SharedVersion]:
    """The versions whose token this request has not read yet (none outside a request)."""
    return [version for version in _IN_REQUESTS if version._unread_in_request()]


def read_with_session(tokens: dict[SharedVersion, str]) -> None:
    """Tokens this request's session read brought along, kept as if the request had asked."""
    for version, token in tokens.items():
        if version._unread_in_request():
            version._remember(token)


def current_tokens(*versions: SharedVersion) -> tuple[str, ...]:
    """Several versions' tokens, with one cache round trip for those this request has not
    read yet."""
    unread = [version for version in versions if version._unread_in_request()]
    if len(unread) > 1:
        found = cache.get_many([version.key for version in unread])
        for version in unread:
            token = found.get(version.key)
            if token is not None:
                version._remember(str(token))
    return tuple(version.current() for version in versions)
