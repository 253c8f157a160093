"""Settings, read from the environment.

Defaults give the embedded set-up (SQLite, Celery tasks run eagerly, local-memory cache), so
a newcomer's laptop runs the hub with nothing else installed. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=off; then `manage.py check --deploy` is clean.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from urllib.parse import urlparse

import django_stubs_ext
import environ
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

# Lets admin and form classes be subscripted for the type checker (ModelAdmin[Ticket]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


_BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f"}


def _read[T](name: str, kind: type[T], default: T) -> T:
    """Read one variable, naming it when its value cannot be used."""
    raw = env.str(name, default="")
    if kind is bool and raw and raw.strip().lower() not in _BOOLEAN_WORDS:
        raise ImproperlyConfigured(
            f"Environment variable {name} is malformed: {raw!r} is not on/off, true/false or 1/0."
        )
    try:
        value: T = env(name, cast=kind, default=default)
    except (ValueError, TypeError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc
    return value


DEBUG: bool = _read("DEBUG", bool, False)

_dev_secret = "insecure-development-key-only-for-the-embedded-default-do-not-deploy"
SECRET_KEY = _read("SECRET_KEY", str, _dev_secret if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY is missing: it is required when DEBUG is off."
    )

# Rotating SECRET_KEY: the previous keys, comma-separated, still verify what they signed
# (sessions, password-reset and invitation links, reply addresses) until they are removed.
SECRET_KEY_FALLBACKS: list[str] = _read("SECRET_KEY_FALLBACKS", list, [])

ALLOWED_HOSTS: list[str] = _read(
    "ALLOWED_HOSTS", list, ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Environment variable ALLOWED_HOSTS is missing: it is required when DEBUG is off."
    )
CSRF_TRUSTED_ORIGINS: list[str] = _read("CSRF_TRUSTED_ORIGINS", list, [])

# The address customers reach the hub on, used for links in emails.
SITE_URL: str = _read("SITE_URL", str, "http://127.0.0.1:8000")
if urlparse(SITE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured("Environment variable SITE_URL must start with http:// or https://")
BENCH_VIEWS: bool = _read("BENCH_VIEWS", bool, False)

INSTALLED_APPS = [
    # The floors, bottom to top (README, "Layout"): each imports only from those above it here.
    "hub.accounts",
    "routing",
    "tickets",
    "chatbot",
    "hub.flow",
    "hub.admin_site.HubAdminConfig",  # django.contrib.admin, its app list built when read
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    # Full-text search fields and queries (the ticket history, the knowledge base; inert on
    # SQLite).
    "django.contrib.postgres",
    "django_htmx",
    "allauth",
    "allauth.account",
    # Tracks each user's sessions, so that a password change can end all the others.
    "allauth.usersessions",
]

MIDDLEWARE = [
    # An id for every request, on each of its log lines and in its response (hub.log).
    "hub.middleware.RequestIdMiddleware",
    # Counts and times every request, refusals by the middleware below included (/metrics).
    "hub.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # The container's probe on 127.0.0.1: answered before CommonMiddleware checks the Host
    # header against ALLOWED_HOSTS (GET /healthz only; everything else is still checked).
    "hub.middleware.HealthzProbeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, saving a session only when it changed or its end is due to move on.
    "hub.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the user read at once rather than through a lazy proxy.
    "hub.accounts.middleware.AuthenticationMiddleware",
    "hub.accounts.middleware.UserPreferencesMiddleware",
    # After the user's language is known, so that its 400 and 413 pages are in it.
    "hub.middleware.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "hub.urls"
CSRF_FAILURE_VIEW = "hub.errors.csrf_failure"

# --- Request size ----------------------------------------------------------------------------
# The largest thing anyone sends is the email form: 3 attachments of 10 MB (tickets.models)
# and some text. A bigger body is refused with the 413 page before it is read.
REQUEST_BODY_MAX_BYTES = 31 * 1024 * 1024
# Form fields other than files: the longest is a 10,000-character description; the admin's
# knowledge-base articles are the largest text anyone posts. 1 MB is ample for both.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Fields per form: the admin's "select all on this page" is the largest (100 rows a page).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
# Files per request: the email form takes 3.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# An upload above this is streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WSGI_APPLICATION = "hub.wsgi.application"
ASGI_APPLICATION = "hub.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": [
                # Dates as each language writes them (CLDR), in every template and email.
                "hub.accounts.templatetags.moments",
                # Every template's {% url %} remembers the addresses it reverses.
                "hub.addresses",
                # Every template's {% csp_nonce_attr media %} draws the media once.
                "hub.page_media",
            ],
            "libraries": {
                # base.html's layout, drawn once per language, zone and kind of reader.
                "chrome": "hub.chrome",
                # Django's i18n, each {% translate "…" %} remembered per language.
                "i18n": "hub.translations",
            },
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# hub.translations takes the name of Django's i18n library on purpose (it is that library,
# one tag remembered), which Django's check of template libraries flags as two modules with
# one name. tests/hub/test_translations.py keeps the check for every other name.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# --- Database ----------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{BASE_DIR / 'var' / 'hub.sqlite3'}"
_database_scheme = urlparse(env.str("DATABASE_URL", default=_default_sqlite)).scheme
if _database_scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "psql"}:
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL is malformed: use postgres://… or sqlite:///…"
    )
try:
    DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_sqlite)}
except (ValueError, KeyError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"Environment variable DATABASE_URL is malformed: {exc}") from exc
DATABASES["default"]["CONN_MAX_AGE"] = _read("DATABASE_CONN_MAX_AGE", int, 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that needs no round trip while the server is silent.
    DATABASES["default"]["ENGINE"] = "hub.postgresql"
    # A statement run this many times on a connection is kept prepared by the server, which
    # then skips parsing and planning it: about half of PostgreSQL's work for a page's
    # handful of indexed reads. Needs the parameters sent apart from the SQL (server-side
    # binding). 0 turns it off: a transaction-mode pooler such as PgBouncer cannot keep a
    # connection's prepared statements unless configured to.
    _prepare_after = _read("DATABASE_PREPARE_THRESHOLD", int, 5)
    if _prepare_after < 0:
        raise ImproperlyConfigured(
            "Environment variable DATABASE_PREPARE_THRESHOLD is malformed: it must be 0 or more."
        )
    if _prepare_after:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": _prepare_after}
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # Several threads (runserver, eager tasks) write at once: wait rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache -------------------------------------------------------------
REDIS_URL: str | None = _read("REDIS_URL", str, None)
if REDIS_URL and urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured(
        "Environment variable REDIS_URL is malformed: it must start with redis://, rediss:// "
        "or unix://"
    )

# Redis is a helper, never a single point of failure for a page (shared/RELIABILITY.md 7a).
# The cache answers from local memory while Redis is away (hub/cache.py); a hung Redis costs
# one half-second timeout per process every few seconds, not one per request.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "hub.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hub",
            "AWAY_SECONDS": 5,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Parts of pages drawn once per process and reused while their key says they read the same:
# the layout's links and language list (the code, the language and the role), the empty
# question box, the picker's cards (everything they show is in their key). Nothing in it
# goes stale: a change makes another key, and the least used drawings make way.
CACHES["fragments"] = {
    "BACKEND": "hub.cache.FragmentCache",
    "LOCATION": "hub-fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 500},
}
# Sessions live in the database; a copy on Redis is read instead while Redis answers and the
# copy is of the current generation (hub/sessions.py). A Redis that is down or hangs sends
# reads to the database, never to a per-process copy, and a session ended meanwhile cannot
# come back with Redis.
SESSION_ENGINE = "hub.sessions"
# How long Redis holds the copies' current generation before it is read from the database
# again: the longest a process that saw no outage could believe a copy made stale by one.
SESSION_CACHE_EPOCH_SECONDS = 2

# --- Celery ------------------------------------------------------------------------------
# The reliability promises of shared/RELIABILITY.md; every interval is a setting so that the
# fault tests can shrink it to seconds.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Without this, a child killed by SIGKILL has its message acknowledged anyway.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Longest task plus countdown is well under a minute (future work is rows that beat sweeps);
# a message unacknowledged for longer than this is handed to another worker.
CELERY_VISIBILITY_TIMEOUT: int = _read("CELERY_VISIBILITY_TIMEOUT", int, 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # A dead worker's messages are restored once older than the visibility timeout; living
    # workers scan for them every interval × throttle seconds (so within about 70 s).
    "unacked_restore_interval": _read("CELERY_UNACKED_RESTORE_INTERVAL", int, 5),
    "unacked_restore_throttle": _read("CELERY_UNACKED_RESTORE_THROTTLE", int, 2),
    # Short, so that a publish from a request gives up quickly on a Redis that is down or
    # hung (SIGSTOP: connections are accepted, nothing answers); the row is committed and the
    # outbox sweeper sends it. Longer than BRPOP's one-second wait, so workers are unaffected.
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    # No retry after a timeout: a publish that timed out may have been written, and the
    # sweeper (idempotent) is the retry.
    "retry_on_timeout": False,
    # One connection attempt when publishing: kombu's default is a retry after 2 s of sleep.
    # (Workers reconnect by broker_connection_retry, which this does not touch.)
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# Celery's Django fixup closes the database connections before and after every task unless
# they are to be reused for this many tasks: each task then opened a PostgreSQL session of
# its own (a backend started and signed in), a tenth of the worker's time under a load of
# submissions. The worker keeps them as a web process does instead, for CONN_MAX_AGE and
# checked before a task's first query (hub.celery.database_connections_tidy).
CELERY_DB_REUSE_MAX = 2**31
# A submit must not hang on a broker that is down: try once, then the sweeper takes over.
CELERY_TASK_PUBLISH_RETRY = False
# After a failed publish, a web process leaves the broker alone for this long (the sweeper
# queues what it skipped), so that a hung Redis costs one timeout, not one per request.
TICKETS_PUBLISH_PAUSE_SECONDS: int = _read("TICKETS_PUBLISH_PAUSE_SECONDS", int, 5)
# A phone ticket that reached the worker this long after it was submitted shows the worker is
# behind: every phone ticket still waiting is then queued at once, and their confirmations
# put back on the broker behind the queueing still to come (tickets.services.callback_enqueue).
TICKETS_WORKER_BEHIND_SECONDS: float = _read("TICKETS_WORKER_BEHIND_SECONDS", float, 0.5)
# Submissions are queued (phone) and confirmed (the others) by one task for as many as are
# waiting (tickets.services._wake_on_commit); while one is on its way no other is sent, for
# at most this long, after which the next submission sends another: one the broker lost
# costs a few seconds, never a callback or a confirmation.
TICKETS_WAKE_SECONDS: int = _read("TICKETS_WAKE_SECONDS", int, 2)
# Indexing articles (embeddings: about a second each) has its own queue, so that a bulk load
# never holds up callbacks and emails. A worker started without -Q takes both queues, in
# turn; the production stack gives each its own worker (docker-compose.yml).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("knowledge"))
CELERY_TASK_ROUTES = {"chatbot.tasks.*": {"queue": "knowledge"}}
# Routing (R-FALLBACK, chat cover, wait estimates): see routing/selectors.py.
ROUTING_FALLBACK_WAIT_FACTOR: float = _read("ROUTING_FALLBACK_WAIT_FACTOR", float, 2.0)
ROUTING_FALLBACK_EXTRA_MINUTES: float = _read("ROUTING_FALLBACK_EXTRA_MINUTES", float, 5.0)
ROUTING_CHAT_MAX_WAIT_MINUTES: float = _read("ROUTING_CHAT_MAX_WAIT_MINUTES", float, 10.0)
ROUTING_ARRIVAL_WINDOW_MINUTES: float = _read("ROUTING_ARRIVAL_WINDOW_MINUTES", float, 60.0)
ROUTING_DEFAULT_HANDLE_MINUTES: float = _read("ROUTING_DEFAULT_HANDLE_MINUTES", float, 8.0)
# Beat sweeps the outbox: tickets whose task never reached the broker, callbacks due at a
# language's opening, Enterprise handovers (rows in the database, never long countdowns).
TICKETS_SWEEP_INTERVAL: int = _read("TICKETS_SWEEP_INTERVAL", int, 30)
TICKETS_SWEEP_GRACE: int = _read("TICKETS_SWEEP_GRACE", int, 20)
# A row whose sweep keeps failing (an email that cannot be built, say) is tried again further
# apart each time, then parked as failed for an agent after this many attempts.
SWEEP_MAX_FAILURES: int = _read("SWEEP_MAX_FAILURES", int, 5)
# How often a ticket page asks for a waiting callback's place in the queue (seconds).
TICKETS_QUEUE_POLL_SECONDS: int = _read("TICKETS_QUEUE_POLL_SECONDS", int, 15)
# Live chat (tickets/chat): how often pages ask for new messages, when an agent counts as
# gone, how many chats an agent holds at once, and when beat ends or converts a chat.
CHAT_POLL_SECONDS: float = _read("CHAT_POLL_SECONDS", float, 1.0)
CHAT_PRESENCE_TIMEOUT_SECONDS: int = _read("CHAT_PRESENCE_TIMEOUT_SECONDS", int, 60)
CHAT_AGENT_MAX_CHATS: int = _read("CHAT_AGENT_MAX_CHATS", int, 3)
CHAT_IDLE_END_MINUTES: int = _read("CHAT_IDLE_END_MINUTES", int, 30)
CHAT_ABANDONED_MINUTES: int = _read("CHAT_ABANDONED_MINUTES", int, 10)
CHAT_SWEEP_INTERVAL: int = _read("CHAT_SWEEP_INTERVAL", int, 60)
# Beat keeps its schedule in memory: every entry is a short interval and every task it sends
# is an idempotent sweep, so a restart that runs them all at once costs nothing. The default
# persistent scheduler keeps a shelve file, which on Python 3.13 is SQLite and was seen to
# kill beat with "locking protocol" errors, leaving the outbox unswept.
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-outbound-email": {
        "task": "hub.accounts.tasks.outbound_emails_sweep",
        "schedule": TICKETS_SWEEP_INTERVAL,
    },
    "sweep-ticket-outbox": {
        "task": "tickets.tasks.sweep_ticket_outbox",
        "schedule": TICKETS_SWEEP_INTERVAL,
    },
    "sweep-chats": {
        "task": "tickets.tasks.sweep_chats",
        "schedule": CHAT_SWEEP_INTERVAL,
    },
    # Arrivals and handle times per queue, which the contact offers read instead of the
    # tickets: seconds old at most. A refresh that waited longer than the interval is
    # dropped, since the next one is already on its way.
    "refresh-queue-statistics": {
        "task": "tickets.tasks.refresh_queue_statistics",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Knowledge-base articles whose indexing task never reached the broker.
    "sweep-knowledge-index": {
        "task": "chatbot.tasks.knowledge_index_sweep",
        "schedule": 300,
    },
}

# --- The assistant and its knowledge base (chatbot) --------------------------------------
# Semantic similarity (all-MiniLM-L6-v2 on numpy) beside full-text ranking; off: words only.
ASSISTANT_SEMANTIC: bool = _read("ASSISTANT_SEMANTIC", bool, True)
# "Relevant enough" (chatbot.answers.Threshold), tuned on half of the labelled questions by
# `python -m bench assistant`; below it the assistant does not answer (it lists what it
# found as "might help", or says it does not know). Both bound an article's support (the
# words its best passage matches, its lead over the other articles, its closeness in
# meaning, and its lead in meaning over the closest others): SUPPORT where the model reads
# the question's language, SUPPORT_WORDS elsewhere.
ASSISTANT_MIN_SUPPORT: float = _read("ASSISTANT_MIN_SUPPORT", float, 2.0)
ASSISTANT_MIN_SUPPORT_WORDS: float = _read("ASSISTANT_MIN_SUPPORT_WORDS", float, 1.05)
# Optional: an OpenAI-compatible chat-completions endpoint that phrases answers from the
# retrieved passages. Without it the assistant quotes the passages.
ASSISTANT_LLM_URL: str = _read("ASSISTANT_LLM_URL", str, "")
if ASSISTANT_LLM_URL and urlparse(ASSISTANT_LLM_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured("Environment variable ASSISTANT_LLM_URL must start with http(s)://")
ASSISTANT_LLM_MODEL: str = _read("ASSISTANT_LLM_MODEL", str, "")
ASSISTANT_LLM_API_KEY: str = _read("ASSISTANT_LLM_API_KEY", str, "")
ASSISTANT_LLM_TIMEOUT: float = _read("ASSISTANT_LLM_TIMEOUT", float, 8.0)
# A folder where passage embeddings are kept by text, so that loading the same articles
# again (the tests, the benchmark) does not compute them again. Empty: no such cache.
ASSISTANT_EMBEDDING_CACHE: str = _read("ASSISTANT_EMBEDDING_CACHE", str, "")

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "hub.User"
# One backend that looks an account up once and hashes once, whether or not it exists (no
# account enumeration by timing); allauth's own backend may hash up to three times.
AUTHENTICATION_BACKENDS = ["hub.accounts.adapters.EmailOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "hub:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
# Accounts are made by invitation or by staff, never by a stranger.
ACCOUNT_ADAPTER = "hub.accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an unknown address still sends a message ("no account here"), so both
# answers look and cost the same.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
# Tell the owner when their password is changed, set or reset (with where it came from).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = False
# Keep the session that changed the password; hub.accounts.adapters ends every other one.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    # "key" is the account *and* the address (hub.accounts.adapters): a stranger hammering an
    # account slows only themselves, and the real user still signs in from their own address.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    # "Was this helpful?" from anonymous readers (chatbot.views.article_vote): a reader
    # answers a few articles a minute; a script filling the figures is stopped.
    "article_vote": "20/m/ip,200/h/ip",
}
# Behind a load balancer, the client's address is the n-th from the right in
# X-Forwarded-For; without this every visitor would share the balancer's rate limits.
ALLAUTH_TRUSTED_PROXY_COUNT: int = _read("ALLAUTH_TRUSTED_PROXY_COUNT", int, 0)
# Invitations to join an organisation: signed, single-use, and valid for this long.
HUB_INVITATION_MAX_AGE = 60 * 60 * 24 * 7
# Organisation SSO (hub.accounts.sso). Brand administrators type their provider's address, and the
# server fetches from it: only public HTTPS addresses, unless loopback is allowed (the local
# demo provider and the tests).
HUB_SSO_ALLOW_LOOPBACK: bool = _read("HUB_SSO_ALLOW_LOOPBACK", bool, DEBUG)
HUB_SSO_HTTP_TIMEOUT = 5

# --- Sessions and security -----------------------------------------------------------------
SESSION_COOKIE_AGE = 60 * 60 * 8  # idle timeout: eight hours without a request
# An unchanged session is saved (its end pushed back to eight hours ahead) only when it was
# last saved this many seconds ago (hub.middleware.SessionMiddleware): a signed-in page
# writes nothing, and the idle timeout is eight hours give or take five minutes.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_AFTER = 5 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT: bool = _read("SECURE_SSL_REDIRECT", bool, not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP by the load balancer and docker; /metrics may be scraped
# over the compose network's plain HTTP (http://web:8000/metrics), with its bearer token.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Languages and time ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The interface speaks every language support is given in (R-LANG-HOURS).
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("de", _("German")),
    ("fr", _("French")),
    ("it", _("Italian")),
    ("nl", _("Dutch")),
    ("ja", _("Japanese")),
]
SUPPORT_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("de", _("German")),
    ("fr", _("French")),
    ("it", _("Italian")),
    ("nl", _("Dutch")),
    ("ja", _("Japanese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_USER_TIME_ZONE = "Europe/London"
if DEFAULT_USER_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured("DEFAULT_USER_TIME_ZONE is not a known time zone")

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "hub.static_files.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

# --- Email -----------------------------------------------------------------------------------
try:
    _email = env.email_url(
        "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
    )
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"Environment variable EMAIL_URL is malformed: {exc}") from exc
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": 10,
}
_mail_backend = _email["EMAIL_BACKEND"]
if DEBUG and not env.str("EMAIL_URL", default=""):
    # One line per message (to, subject, its link) rather than each message whole.
    _mail_backend = "hub.console_mail.SummaryConsoleBackend"
MAILERS = {
    "default": {
        "BACKEND": _mail_backend,
        "OPTIONS": (
            {k: v for k, v in _smtp_options.items() if v not in (None, "")}
            if _mail_backend.endswith("smtp.EmailBackend")
            else {"file_path": _email["EMAIL_FILE_PATH"]}
            if _mail_backend.endswith("filebased.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL: str = _read(
    "DEFAULT_FROM_EMAIL", str, "Customer Success Hub <support@hub.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies to ticket mail go to reply+<signed token>@SUPPORT_REPLY_DOMAIN.
SUPPORT_REPLY_DOMAIN: str = _read("SUPPORT_REPLY_DOMAIN", str, "reply.hub.example")

# --- Logs, metrics and error reports ---------------------------------------------------------
LOG_LEVEL: str = _read("LOG_LEVEL", str, "INFO")
# One JSON object a line in production, for a log shipper; readable lines with DEBUG on. Each
# line carries the id of the request it was written for (hub.log, RequestIdMiddleware).
LOG_FORMAT: str = _read("LOG_FORMAT", str, "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("Environment variable LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hub.log.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# Celery's workers log through the same handler (JSON in production) rather than their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Prometheus's scrape of /metrics needs this as a bearer token; unset, there is no endpoint.
METRICS_TOKEN: str = _read("METRICS_TOKEN", str, "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured(
        "Environment variable METRICS_TOKEN is too short: use 16 characters or more "
        "(python -c 'import secrets; print(secrets.token_urlsafe())')."
    )

# Errors (web and Celery) reported to Sentry when a DSN is set. No personal data leaves: no
# user, cookies or addresses (send_default_pii), no request bodies (customers' descriptions
# and phone numbers), no local variables of the stack.
SENTRY_DSN: str = _read("SENTRY_DSN", str, "")
if SENTRY_DSN:
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=_read("SENTRY_ENVIRONMENT", str, "production"),
        traces_sample_rate=_read("SENTRY_TRACES_SAMPLE_RATE", float, 0.0),
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
    )
