"""The one call every write makes to leave a trace: `record(...)`, in the same transaction."""

from typing import Any

from django.http import HttpRequest

from gaokao.audit.models import AuditEvent
from gaokao.regions.models import Region, RegistrationPoint


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind nginx (GAOKAO_TRUSTED_PROXIES), the first middleware
    has put the address nginx saw into REMOTE_ADDR; a client's own header is never
    trusted."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    unit: Region | RegistrationPoint | None = None,
    target: Any = None,
    label: str = "",
    **detail: Any,
) -> AuditEvent:
    """Record `action`. The event belongs to `unit` (default: the actor's unit); events
    that belong to no unit, such as a sign-in attempt with an unknown user name, belong to
    the province, which watches for attacks."""
    # A `label` names someone who is not a staff account (a candidate): never take the
    # actor from a staff session that happens to share the browser.
    if actor is None and not label and request is not None and request.user.is_authenticated:
        actor = request.user
    if unit is None and actor is not None:
        unit = actor.unit
    if unit is None:
        unit = Region.objects.filter(level=Region.Level.PROVINCE).first()
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=label or (actor.username if actor is not None else ""),
        ip=client_ip(request),
        region=unit if isinstance(unit, Region) else None,
        point=unit if isinstance(unit, RegistrationPoint) else None,
        target=str(target) if target is not None else "",
        detail=detail,
    )
