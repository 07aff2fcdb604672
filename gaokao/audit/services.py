"""The one call every write makes to leave a trace: `record(...)`, in the same transaction."""

import json
from typing import Any

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from gaokao.audit import chain
from gaokao.audit.models import AuditChainHead, AuditEvent
from gaokao.regions.models import Region, RegistrationPoint

# Normalises an IPv6 address as the database stores it, before the address is hashed.
_ip_field = AuditEvent._meta.get_field("ip")


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
    the province, which watches for attacks.

    Call it inside the transaction of the change it records: the event is appended to its
    chain under the chain head's row lock, which is held until that transaction ends, so
    call it last, after the slow work."""
    # A `label` names someone who is not a staff account (a candidate): never take the
    # actor from a staff session that happens to share the browser.
    if actor is None and not label and request is not None and request.user.is_authenticated:
        actor = request.user
    if unit is None and actor is not None:
        unit = actor.unit
    unowned = unit is None
    if unowned:
        unit = Region.objects.filter(level=Region.Level.PROVINCE).first()
    event = AuditEvent(
        at=timezone.now(),
        action=action,
        actor=actor,
        actor_label=(label or (actor.username if actor is not None else ""))[:150],
        ip=_ip_field.get_prep_value(client_ip(request)),
        unit=unit,
        target=str(target)[:200] if target is not None else "",
        # As the database will give it back (keys as text, tuples as lists), so that the
        # hash computed now is the one a verification recomputes.
        detail=json.loads(json.dumps(detail)),
    )
    if isinstance(target, models.Model):
        event.target_type, event.target_id = target._meta.label_lower, str(target.pk or "")
    stripe = chain.stripe_of(event.ip, event.actor_label) if unowned else None
    event.chain = chain.chain_key(
        region_id=event.region_id, point_id=event.point_id, at=event.at, stripe=stripe
    )
    with transaction.atomic(savepoint=False):
        head = _locked_head(event.chain, timezone.localdate(event.at))
        event.seq, event.prev_hash = head.seq + 1, head.hash or chain.GENESIS
        event.hash = chain.digest(event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(seq=event.seq, hash=event.hash)
    return event


def _locked_head(key: str, day) -> AuditChainHead:
    """The chain's head, locked until the transaction ends; made by the chain's first
    event. Two first events at once: one inserts, the other's insert fails on the key once
    the first commits, and it then locks the row the first made."""
    try:
        return AuditChainHead.objects.select_for_update().get(pk=key)
    except AuditChainHead.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return AuditChainHead.objects.create(chain=key, day=day, seq=0, hash="")
    except IntegrityError:
        return AuditChainHead.objects.select_for_update().get(pk=key)
