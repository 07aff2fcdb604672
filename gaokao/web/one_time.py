"""Passwords issued once (staff slips, candidates' login cards): kept in the server-side
session only long enough to show and print them, then gone. Only hashes are stored."""

import secrets
import time

KEEP_SECONDS = 30 * 60


def keep(request, key: str, pairs: list[tuple[object, str]]) -> None:
    """Remember (primary key, password) pairs for this user's session."""
    request.session[key] = {
        "batch": secrets.token_urlsafe(8),
        "at": time.time(),
        "items": [[str(pk), password] for pk, password in pairs],
    }


def load(request, key: str, queryset) -> list[tuple[object, str]]:
    """The remembered (object, password) pairs whose objects `queryset` still yields (the
    caller passes a queryset scoped to the user, so a stolen batch shows nothing)."""
    state = request.session.get(key)
    if not state or time.time() - state["at"] > KEEP_SECONDS:
        request.session.pop(key, None)
        return []
    objects = {str(o.pk): o for o in queryset.filter(pk__in=[pk for pk, _p in state["items"]])}
    return [(objects[pk], password) for pk, password in state["items"] if pk in objects]


def forget(request, key: str) -> None:
    request.session.pop(key, None)
