"""Resolving a sync conflict on the point client (R4, E5): the point's change in conflict
stays in the outbox; a person at the point looks at the server's values now, through the
sync API, and keeps the point's values, the server's, or chooses field by field. The
decision is the server's (`gaokao.sync.conflicts.resolve`, the same rule as the office
web's conflict page), so both sides can resolve and the first decision wins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gaokao.client.models import ClientState, Outbox
from gaokao.client.sync import Api, SyncError, detail, require_state, sync_once
from gaokao.payments.gateways.base import Transport

# Tests route the calls in-process; None is the standard library's HTTP.
transport: Transport | None = None


class Unresolvable(Exception):
    """The conflict cannot be decided from here now; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ServerConflict:
    """A conflict as the server shows it to this point client."""

    id: int
    point_values: dict[str, Any]
    server_values: dict[str, Any]  # the record's values now
    current_version: int


def _api() -> Api:
    state = require_state()
    return Api(state.server_url, state.token, transport)


def in_conflict(entry: Outbox) -> bool:
    return entry.state == Outbox.State.ATTENTION and entry.answer == "conflict"


def fetch(entry: Outbox) -> ServerConflict:
    """The server's open conflict that `entry`'s change caused."""
    if not in_conflict(entry):
        raise Unresolvable(_("This change is not in conflict."))
    try:
        status, data = _api().call("GET", "/conflicts")
    except SyncError as e:
        raise Unresolvable(
            _("The server is needed to resolve a conflict: %(error)s") % {"error": e.message}
        ) from e
    rows = data.get("conflicts") if isinstance(data.get("conflicts"), list) else None
    if status != 200 or rows is None:
        raise Unresolvable(detail(data, status))
    for row in rows:
        if isinstance(row, dict) and str(row.get("change")) == str(entry.pk):
            return ServerConflict(
                id=int(row["id"]),
                point_values=dict(row.get("point_values") or {}),
                server_values=dict(row.get("server_values") or {}),
                current_version=int(row["current_version"]),
            )
    raise Unresolvable(
        _(
            "The server has no open conflict for this change any more: it was resolved in the"
            " office web. Remove it from the list; the next sync brings the record."
        )
    )


def resolve(entry: Outbox, conflict: ServerConflict, choice: str, fields: list[str]) -> str:
    """Send the decision; on success the entry leaves the outbox and the client syncs, so
    that the record shows what the server now has. Returns the sync's summary."""
    payload = {"choice": choice, "fields": fields, "version": conflict.current_version}
    try:
        status, data = _api().call("POST", f"/conflicts/{conflict.id}/resolve", payload)
    except SyncError as e:
        raise Unresolvable(e.message) from e
    if status != 200:
        raise Unresolvable(detail(data, status))
    entry.delete()
    # Pull the point's candidates from the start: the local record shows the server's.
    ClientState.objects.filter(pk=1).update(cursor="")
    return sync_once(transport).summary()
