"""Bare Django for the floor: sessions in the database and CSRF, as the portal has; nothing
of ours. The database is the portal's (DATABASE_URL), with the same connection settings."""

import os

import environ

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-floor"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {"default": environ.Env.db_url_config(os.environ["DATABASE_URL"])}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "bench.floor.urls"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LOGGING_CONFIG = None
