"""The point client's mark on every page (issue 20): in client mode the office web's
header says 客户版, whether the server was reached lately, when the last sync was, and how
much waits to be sent. Read from the local sync state (two small queries), never from the
network; on the central server it adds nothing."""

from django.conf import settings
from django.db.models import Count, Q

from gaokao.client.models import ClientState, Outbox
from gaokao.client.sync import is_online


def point_client(request) -> dict:
    """Template context processor: `point_client` for the header of base.html."""
    if getattr(settings, "GAOKAO_MODE", "server") != "client":
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"point_client": {"signed_out": True}}
    state = ClientState.load()
    counts = Outbox.objects.aggregate(
        waiting=Count("pk", filter=Q(state=Outbox.State.PENDING)),
        attention=Count("pk", filter=Q(state=Outbox.State.ATTENTION)),
    )
    return {
        "point_client": {
            "enrolled": state is not None,
            "online": is_online(state),
            "last_sync_at": state.last_sync_at if state else None,
            "last_sync_ok": state.last_sync_ok if state else None,
            "last_success_at": state.last_success_at if state else None,
            **counts,
        }
    }
