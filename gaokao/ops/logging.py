"""Log records with the request id (E3): one JSON object per line for the log collector.

`RequestMiddleware` puts each request's id in `request_id`, a context variable that
`RequestIdFilter` copies into every record logged while the request runs, so all lines of
one request (ours, Django's, a library's) can be found together. `settings.LOGGING` chooses
`JsonFormatter` or a text format with `%(request_id)s` (`LOG_FORMAT=json|text`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar

NO_REQUEST = "-"
request_id: ContextVar[str] = ContextVar("gaokao_request_id", default=NO_REQUEST)

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Give the record the current request's id ("-" outside a request), unless the
    caller passed one in `extra=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        return True


def _timezone() -> dt.tzinfo | None:
    try:
        from django.utils import timezone

        return timezone.get_default_timezone()
    except Exception:  # settings not configured: the machine's local time zone
        return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 with the offset), level, logger, message,
    request_id, the exception when there is one, and every field given in `extra=`.
    Values JSON cannot hold (a request object, a path) are written as their str()."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
            .astimezone(_timezone())
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
