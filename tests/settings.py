"""Test settings: the real PostgreSQL and Redis when they answer, the embedded default otherwise.

HUB_TEST_EMBEDDED=1 forces the embedded default (SQLite, eager Celery) for the smoke suite.

The tests never touch a developer's data: pytest-django runs them in databases of their own
(``test_<name>`` on PostgreSQL, ``var/test-<name>`` for SQLite), and their Redis database is
HUB_TEST_REDIS_URL, else REDIS_URL, else database 15 of the local server; they empty it,
so they refuse one that holds keys they did not write (tests/redis_isolation.py).
"""

from __future__ import annotations

import os
import socket


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


os.environ.setdefault("DEBUG", "off")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "off")
os.environ.setdefault("EMAIL_URL", "memorymail://")

if os.environ.get("HUB_TEST_EMBEDDED") == "1":
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var", "test-embedded.sqlite3"
    )
else:
    if os.environ.get("HUB_TEST_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["HUB_TEST_REDIS_URL"]
    if "DATABASE_URL" not in os.environ and _answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/hub"
    if "REDIS_URL" not in os.environ and _answers("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"

from hub.settings import *  # noqa: E402,F403
from hub.settings import CACHES, DATABASES, REDIS_URL  # noqa: E402

_require_real = os.environ.get("HUB_REQUIRE_REAL_SERVICES") == "1"
if _require_real and os.environ.get("HUB_TEST_EMBEDDED") != "1":  # noqa: SIM102
    if not DATABASES["default"]["ENGINE"].endswith("postgresql") or not REDIS_URL:
        raise RuntimeError(
            "HUB_REQUIRE_REAL_SERVICES is set but the tests would run on "
            f"{DATABASES['default']['ENGINE']} with REDIS_URL={REDIS_URL!r}"
        )

# Fast hashing in tests, Argon2 stays first in production.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Passage embeddings computed once are reused by later runs (the knowledge base is loaded
# by many tests); the cache is keyed by the exact text and the model.
ASSISTANT_EMBEDDING_CACHE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var", "embedding-cache"
)
# Redis holds the sessions' generation for the whole of a test (hub/sessions.py), so that
# query counts do not depend on how long a test takes; the drills set their own.
SESSION_CACHE_EPOCH_SECONDS = 3600
# Tasks run in the test process unless a test starts a real worker (tests/integration).
CELERY_TASK_ALWAYS_EAGER = True
if REDIS_URL:
    CACHES["default"]["BACKEND"] = "tests.redis_isolation.TestsOwnRedisCache"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file (the live-server tests share it with other threads), never the developer's own:
    # pytest-django deletes the test database's file before it starts.
    _sqlite = os.path.abspath(str(DATABASES["default"]["NAME"]))
    _folder, _name = os.path.split(_sqlite)
    DATABASES["default"]["TEST"] = {
        "NAME": _sqlite if _name.startswith("test-") else os.path.join(_folder, f"test-{_name}")
    }
