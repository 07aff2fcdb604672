"""The sync protocol's refusals (R4, S3): each names the HTTP status the API answers with,
and its message is shown to people as it is."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gaokao.lib.text import clean_text


class SyncRefused(ValidationError):
    """A sync request or change that breaks a rule; the message is shown as it is.
    `status` is the HTTP status the API answers with."""

    status = 400


class Unauthorised(SyncRefused):
    status = 401


class Forbidden(SyncRefused):
    status = 403


class NotFound(SyncRefused):
    status = 404


class OffsetMismatch(SyncRefused):
    """A photo chunk that does not start where the server has got to: resume from
    `received`."""

    status = 409

    def __init__(self, message: Any, received: int):
        super().__init__(message, code="offset")
        self.received = received


def not_this_point() -> SyncRefused:
    return NotFound(_("Not this point's candidate."), code="not_this_point")


def shown(value: Any, limit: int = 40) -> str:
    """A value a client sent, safe to put into a message: text without control
    characters, cut short."""
    return clean_text(value if isinstance(value, str) else repr(value))[:limit]


def message_of(error: ValidationError) -> str:
    """The refusal's messages as one line (fields named), at most 300 characters."""
    if hasattr(error, "error_dict"):
        parts = [f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items()]
    else:
        parts = list(error.messages)
    return " ".join(str(p) for p in parts)[:300]
