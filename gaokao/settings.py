"""The one settings module. Everything that differs between machines comes from the environment.

Variables (see README.md for the table):

DATABASE_URL      default: SQLite at $GAOKAO_DATA_DIR/gaokao.sqlite3
REDIS_URL         optional; shared cache for several app servers
SECRET_KEY        required with a database server; generated in the data dir for SQLite
SECRET_KEY_FILE   read the secret key from this file instead
DEBUG             True/False, default False
ALLOWED_HOSTS     comma-separated, default 127.0.0.1,localhost
GAOKAO_DATA_DIR   default ./var; a point client's: a folder of the user's (gaokao-client)
GAOKAO_MODE       server (central) or client (the point client), default server
GAOKAO_FONT_DIR   where the PDF fonts are built, default inside the virtualenv
GAOKAO_READER_URL the point PC's ID-card reader bridge, default http://127.0.0.1:8765
GAOKAO_PORTAL_URL the candidate portal's address for login cards, default this site's /ks/
LOG_FORMAT        json (one object per line, with the request id) or text, default json
GAOKAO_HTTPS      True behind nginx with TLS: secure cookies, HSTS, redirect to https
GAOKAO_TRUSTED_PROXIES  comma-separated addresses of our nginx: client address from X-Forwarded-For
GAOKAO_METRICS_TOKEN  bearer token for /metrics from other hosts (loopback needs none)
GAOKAO_AUDIT_KEY  HMAC key of the audit trail's chains (default: derived from SECRET_KEY)
GAOKAO_DATA_KEYS  "id:base64,…" AES-GCM keys for ID numbers at rest (generated with SQLite)
GAOKAO_INDEX_KEY  the blind-index key of ID numbers (generated with SQLite)
GAOKAO_OFFLINE_GRACE_HOURS  hours after a close that changes keyed offline are accepted, default 48
GAOKAO_CLOCK_SKEW_MINUTES  a point client's clock this far off is flagged, default 5
GAOKAO_NUMBER_BLOCK_SIZE  registration numbers reserved to each point client at a time, default 50
GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW  a point client is topped up when fewer are left, default 20
"""

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "True"


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}")
    return int(value)


def envsecret(name: str) -> str | None:
    """Read NAME, or the file named by NAME_FILE (for container and systemd secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {e}") from e
    return os.environ.get(name) or None


GAOKAO_MODE = envchoice("GAOKAO_MODE", "server", ("server", "client"))
# A point client keeps its data in one fixed folder of the user's (Windows: %LOCALAPPDATA%,
# Linux: ~/.local/share), whatever folder its window was opened in: a relative ./var would
# start a new, empty client and strand the unsent work (issue 20).
if os.environ.get("GAOKAO_DATA_DIR"):
    DATA_DIR = Path(os.environ["GAOKAO_DATA_DIR"]).resolve()
elif GAOKAO_MODE == "client":
    import platformdirs

    DATA_DIR = Path(platformdirs.user_data_dir("gaokao-client", appauthor=False)).resolve()
else:
    DATA_DIR = Path("var").resolve()
# Where the static Noto Sans SC instances for PDFs are built once (default: inside the
# virtualenv, see gaokao.documents.fonts).
GAOKAO_FONT_DIR = os.environ.get("GAOKAO_FONT_DIR") or None
# The point PC's ID-card reader bridge, and the candidate portal printed on login cards.
GAOKAO_READER_URL = os.environ.get("GAOKAO_READER_URL", "http://127.0.0.1:8765")
GAOKAO_PORTAL_URL = os.environ.get("GAOKAO_PORTAL_URL") or None
# Payments (O6): the gateways' keys and ids, and whether the local sandbox gateway answers.
PAYMENTS_CONFIG = Path(
    os.environ.get("GAOKAO_PAYMENTS_CONFIG") or DATA_DIR / "payments" / "payments.toml"
)
PAYMENTS_SANDBOX = envbool("GAOKAO_PAYMENTS_SANDBOX", "False")
PAYMENTS_TRANSPORT = ""  # dotted path of a Transport; tests route HTTP in-process
# E3-E5: a change keyed offline while its window was open is accepted this many hours
# after the close (a season's own offline_grace_hours wins); a point client whose clock is
# more than this many minutes off the server's at sync is flagged to its county.
GAOKAO_OFFLINE_GRACE_HOURS = envint("GAOKAO_OFFLINE_GRACE_HOURS", "48")
GAOKAO_CLOCK_SKEW_MINUTES = envint("GAOKAO_CLOCK_SKEW_MINUTES", "5")
GAOKAO_NUMBER_BLOCK_SIZE = envint("GAOKAO_NUMBER_BLOCK_SIZE", "50")
GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW = envint("GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW", "20")
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]

_sqlite_default = f"sqlite:///{DATA_DIR / 'gaokao.sqlite3'}"
try:
    DATABASES = {
        "default": environ.Env.db_url_config(os.environ.get("DATABASE_URL", _sqlite_default))
    }
except Exception as e:  # django-environ raises several kinds for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {e}") from e
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at the
    # start of a transaction, so two writers wait for each other instead of failing mid-way.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["TEST"] = {"NAME": ":memory:"}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_MAX_AGE"] = 60
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured("DATABASE_URL must point to SQLite or PostgreSQL")

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if _db["ENGINE"] != "django.db.backends.sqlite3":
        # Several app servers share a database server; each generating its own key would
        # break every session and signed link that crosses from one server to another.
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set with a database server"
        )
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

# ID numbers at rest (docs/security.md): AES-GCM data keys "id:base64,…" (the first is
# current) and the blind-index key; generated into DATA_DIR/keys with SQLite, required with a
# database server (gaokao.privacy refuses to start without them).
DATA_KEYS = envsecret("GAOKAO_DATA_KEYS")
INDEX_KEY = envsecret("GAOKAO_INDEX_KEY")
OLD_INDEX_KEY = envsecret("GAOKAO_OLD_INDEX_KEY")  # only during `gaokao privacy rotate --reindex`

# The HMAC key of the audit trail's hash chains (default: derived from SECRET_KEY); older
# keys stay in the fallbacks so that events signed before a rotation still verify.
AUDIT_KEY = envsecret("GAOKAO_AUDIT_KEY")
AUDIT_KEY_FALLBACKS = [
    k for k in os.environ.get("GAOKAO_AUDIT_KEY_FALLBACKS", "").split(",") if k.strip()
]

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},  # the progress grid alone keeps ~150 entries
        }
    }

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "bootstrap",
    "gaokao.regions",
    "gaokao.codes",
    "gaokao.seasons",
    "gaokao.accounts",
    "gaokao.candidates",
    "gaokao.audit",
    "gaokao.numbering",
    "gaokao.documents",
    "gaokao.notices",
    "gaokao.idcard",
    "gaokao.photos",
    "gaokao.portal",
    "gaokao.payments",
    "gaokao.professional",
    "gaokao.proofreading",
    "gaokao.comments",
    "gaokao.results",
    "gaokao.submission",
    "gaokao.progress",
    "gaokao.exports",
    "gaokao.sync",
    "gaokao.bundles",
    "gaokao.client",
    "gaokao.gate",
    "gaokao.incidents",
    "gaokao.ops",
    "gaokao.privacy",
    "gaokao.retention",
    "gaokao.presets",
    "gaokao.web",
    "gaokao.office",
    "gaokao.sandbox",
    "gaokao.demo",
]

MIDDLEWARE = [
    "gaokao.ops.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gaokao.web.security.SecurityHeadersMiddleware",
    "gaokao.web.caching.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gaokao.web.modes.ModeMiddleware",
    "gaokao.gate.middleware.GateMiddleware",
    "gaokao.web.seasons.NoSeasonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gaokao.urls"
WSGI_APPLICATION = "gaokao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gaokao.office.navigation.context",
                "gaokao.client.context.point_client",
            ],
        },
    },
]

# Refusals as pages in the site's own frame (gaokao.web.errors; 403 and 404 in gaokao.urls).
CSRF_FAILURE_VIEW = "gaokao.web.errors.csrf_failure"

AUTH_USER_MODEL = "accounts.StaffUser"
LOGIN_URL = "office:login"
LOGIN_REDIRECT_URL = "office:home"
LOGOUT_REDIRECT_URL = "office:login"
PASSWORD_HASHERS = [
    "gaokao.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Production behind nginx with TLS (docs/deploy.md): nginx sets X-Forwarded-Proto; cookies
# travel over HTTPS only; browsers remember to use HTTPS (HSTS). The probes stay on plain
# HTTP for the load balancer on the private network.
HTTPS = envbool("GAOKAO_HTTPS", "False")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600  # one working day at the office
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"

# Chinese for everyone; English is the source language of the code and the catalogs.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it after collectstatic
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve from the installed apps' folders too, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One JSON object per line with the request id (for the log collector), or plain text.
LOG_FORMAT = envchoice("LOG_FORMAT", "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "gaokao.ops.logging.RequestIdFilter"},
        "mask_ids": {"()": "gaokao.privacy.logging.MaskIdNumbers"},
    },
    "formatters": {
        "json": {"()": "gaokao.ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "mask_ids"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# The addresses of our own reverse proxies (nginx): behind them, the client's address is
# taken from X-Forwarded-For (gaokao.ops.middleware.client_address).
TRUSTED_PROXIES = frozenset(
    a.strip() for a in os.environ.get("GAOKAO_TRUSTED_PROXIES", "").split(",") if a.strip()
)
# /metrics answers scrapers from loopback, or anyone presenting this bearer token.
METRICS_TOKEN = envsecret("GAOKAO_METRICS_TOKEN")
