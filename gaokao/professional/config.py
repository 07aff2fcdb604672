"""The province configures the season's professional exam categories (专业考试类别, O6, issue
19): adds a category, changes its fee, name, order, items and the subject tracks that may
register, offers it or stops offering it, and deletes one added by mistake. Every change is
an audit event with the diff, who and why (gaokao.audit.config), in the transaction of the
change; a blank reason is refused and nothing is saved.

What the rules protect:
- A fee may change after candidates have paid or started paying: an order keeps the amount
  it was created with (`PaymentOrder.amount_fen`, checked against every gateway message),
  so paid registrations and orders already started are not touched; new orders take the
  new fee.
- A category's code and kind never change once added: the portal names the category by its
  code (its pay and withdraw addresses).
- An item or a subject track that registrations hold is not taken away: it would leave
  those candidates' choices without their category or item. The category is made "not
  offered" instead.
- A category is deleted only while no registration holds it; otherwise the refusal says
  how many do, and it can be made "not offered"."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gaokao.audit import config
from gaokao.codes.models import Code, Table
from gaokao.payments.models import PaymentOrder
from gaokao.professional.models import Category, Registration

CODE_LIMIT = Category._meta.get_field("code").max_length
NAME_LIMIT = Category._meta.get_field("name").max_length
ITEM_LIMIT = Registration._meta.get_field("main_item").max_length
FEE_LIMIT = 10_000_00  # 10 000 yuan, in fen: more is a typing mistake
ITEM_FIELDS = ("main_items", "secondary_items")
EDITABLE = ("name", "fee_fen", "sort_order", "is_active", "tracks", *ITEM_FIELDS)
_ITEM_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


class CategoryRefused(ValidationError):
    """A change to a category refused; messages by form field, shown as they are."""


def may_edit(user: Any, season: Any) -> bool:
    """The categories are the province's: the authority of the season's province."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) == "province"
        and user.region_id == season.province_id
    )


def _check(user: Any, season: Any) -> None:
    if not may_edit(user, season):
        raise PermissionDenied("Only the province authority configures the categories.")


def split_items(text: str) -> list[str]:
    """Items typed in one line, separated by 、 , ; or new lines, spaces collapsed."""
    return [" ".join(i.split()) for i in _ITEM_SEPARATORS.split(text or "") if i.strip()]


# ── what the page shows ───────────────────────────────────────────────────────────────


def category_rows(season: Any) -> list[Category]:
    """The season's categories, not offered ones too, each with `registered` (paid),
    `chosen` (all its registrations) and `open_orders` (orders started, not yet paid)."""
    rows = list(
        Category.objects.filter(season=season).annotate(
            chosen=Count("registrations", distinct=True),
            registered=Count(
                "registrations",
                filter=Q(registrations__status=Registration.Status.PAID),
                distinct=True,
            ),
        )
    )
    open_orders = dict(
        PaymentOrder.objects.filter(
            registration__category__season=season, state=PaymentOrder.State.CREATED
        )
        .values_list("registration__category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        row.open_orders = open_orders.get(row.pk, 0)
    return rows


def usage(category: Category) -> dict[str, int]:
    """How many registrations hold `category` (all, paid) and its orders still open."""
    registrations = Registration.objects.filter(category=category)
    return {
        "chosen": registrations.count(),
        "registered": registrations.filter(status=Registration.Status.PAID).count(),
        "open_orders": PaymentOrder.objects.filter(
            registration__category=category, state=PaymentOrder.State.CREATED
        ).count(),
    }


# ── checks of the values ──────────────────────────────────────────────────────────────


def _name(name: str, errors: dict) -> str:
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the category's name.")]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": NAME_LIMIT}]
    return name


def _fee(fee_fen: Any, errors: dict) -> int:
    if not isinstance(fee_fen, int) or isinstance(fee_fen, bool) or fee_fen < 0:
        errors["fee"] = [_("The fee is an amount in yuan, 0 or more.")]
        return 0
    if fee_fen > FEE_LIMIT:
        errors["fee"] = [
            _("A fee of more than %(limit)d yuan is not accepted.") % {"limit": FEE_LIMIT // 100}
        ]
    return fee_fen


def _order(sort_order: Any, errors: dict) -> int:
    if not isinstance(sort_order, int) or sort_order < 0:
        errors["sort_order"] = [_("The order is a whole number, 0 or more.")]
        return 0
    return sort_order


def _tracks(tracks: list[str], errors: dict) -> list[str]:
    tracks = sorted({str(t).strip() for t in tracks or [] if str(t).strip()})
    known = set(Code.objects.filter(table=Table.SUBJECT_TRACK).values_list("code", flat=True))
    unknown = [t for t in tracks if t not in known]
    if not tracks:
        errors["tracks"] = [_("Choose at least one subject track that may register.")]
    elif unknown:
        errors["tracks"] = [_("Unknown subject track: %(codes)s.") % {"codes": ", ".join(unknown)}]
    return tracks


def _items(field: str, items: list[str], errors: dict) -> list[str]:
    items = [" ".join(str(i).split()) for i in items or [] if str(i).strip()]
    if len(set(items)) != len(items):
        errors[field] = [_("An item is listed twice.")]
    elif any(len(i) > ITEM_LIMIT for i in items):
        errors[field] = [_("An item has at most %(limit)d characters.") % {"limit": ITEM_LIMIT}]
    return items


def _still_held(category: Category, values: dict, errors: dict) -> None:
    """Refuse taking away an item or a subject track that registrations hold."""
    registrations = Registration.objects.filter(category=category)
    for field, held_by in (("main_items", "main_item"), ("secondary_items", "secondary_item")):
        if field in errors:
            continue
        gone = set(getattr(category, field)) - set(values[field])
        counts = dict(
            registrations.filter(**{f"{held_by}__in": gone})
            .values_list(held_by)
            .annotate(n=Count("pk"))
            .order_by()
        )
        if counts:
            errors[field] = [
                ngettext(
                    "%(n)d registration holds %(items)s: it cannot be taken away. "
                    "Stop offering the category instead.",
                    "%(n)d registrations hold %(items)s: they cannot be taken away. "
                    "Stop offering the category instead.",
                    sum(counts.values()),
                )
                % {"n": sum(counts.values()), "items": "、".join(sorted(counts))}
            ]
    if "tracks" not in errors:
        gone = set(category.tracks) - set(values["tracks"])
        n = registrations.filter(candidate__subject_track__in=gone).count() if gone else 0
        if n:
            errors["tracks"] = [
                ngettext(
                    "%(n)d candidate of subject track %(tracks)s has chosen this category: "
                    "the track cannot be taken away. Stop offering the category instead.",
                    "%(n)d candidates of subject track %(tracks)s have chosen this category: "
                    "the track cannot be taken away. Stop offering the category instead.",
                    n,
                )
                % {"n": n, "tracks": ", ".join(sorted(gone))}
            ]


def _values(values: dict, errors: dict) -> dict:
    """The editable values cleaned: name, fee_fen, sort_order, is_active, tracks, items."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not a value of a category: {sorted(unknown)}")
    cleaned = {
        "name": _name(values.get("name", ""), errors),
        "fee_fen": _fee(values.get("fee_fen"), errors),
        "is_active": bool(values.get("is_active", True)),
        "tracks": _tracks(values.get("tracks", []), errors),
    }
    if values.get("sort_order") is not None:
        cleaned["sort_order"] = _order(values["sort_order"], errors)
    for field in ITEM_FIELDS:
        cleaned[field] = _items(field, values.get(field, []), errors)
    return cleaned


def _raise(errors: dict) -> None:
    if errors:
        raise CategoryRefused({k or "__all__": v for k, v in errors.items()})


# ── the changes ───────────────────────────────────────────────────────────────────────


def add_category(
    season: Any,
    *,
    code: str,
    kind: str,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
    **values: Any,
) -> Category:
    """A new category of `season`: `values` are name, fee_fen, sort_order (None: last),
    is_active, tracks, main_items, secondary_items. Raises CategoryRefused (messages by
    field) and saves nothing for a bad value or a blank reason."""
    _check(by, season)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip().upper()
    if not code or len(code) > CODE_LIMIT or not code.isalnum():
        errors["code"] = [_("A code is 1 to %(limit)d letters or digits.") % {"limit": CODE_LIMIT}]
    if kind not in Category.Kind.values:
        errors["kind"] = [_("Choose art or sports.")]
    cleaned = _values(values, errors)
    reason = config.reason_or_error(reason, errors)
    with transaction.atomic():
        existing = Category.objects.filter(season=season, code=code).first()
        if existing is not None and "code" not in errors:
            errors["code"] = [
                _("The season already has category %(code)s (%(name)s).")
                % {"code": code, "name": existing.name}
            ]
        _raise(errors)
        if cleaned.get("sort_order") is None:
            last = Category.objects.filter(season=season).aggregate(m=Max("sort_order"))["m"]
            cleaned["sort_order"] = (last or 0) + 10
        category = Category(season=season, code=code, kind=kind, **cleaned)
        config.save_audited(category, reason=reason, by=by, request=request)
    return category


def change_category(
    category: Category,
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
    **values: Any,
) -> dict[str, list]:
    """Give `category` the `values` (any of EDITABLE; the others stay as they are) for
    `reason`. Returns the diff (empty: nothing changed, nothing recorded). Raises
    CategoryRefused and saves nothing for a bad value, an item or track that registrations
    hold, or a blank reason."""
    _check(by, category.season)
    errors: dict[str, list[str]] = {}
    current = {name: getattr(category, name) for name in EDITABLE}
    cleaned = _values({**current, **values}, errors)  # what is not given stays as it is
    reason = config.reason_or_error(reason, errors)
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        _still_held(category, cleaned, errors)
        _raise(errors)
        before = config.snapshot(category)
        for name, value in cleaned.items():
            setattr(category, name, value)
        return config.save_audited(category, reason=reason, by=by, request=request, before=before)


def delete_category(
    category: Category, *, reason: str, by: Any, request: HttpRequest | None = None
) -> None:
    """Delete `category`, which no registration may hold: one that registrations hold is
    refused, with how many, so that it is made "not offered" instead."""
    _check(by, category.season)
    errors: dict[str, list[str]] = {}
    reason = config.reason_or_error(reason, errors)
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        n = Registration.objects.filter(category=category).count()
        if n:
            errors[None] = [
                ngettext(
                    "%(n)d registration holds %(category)s: it cannot be deleted. "
                    "Stop offering it instead; the registrations keep it.",
                    "%(n)d registrations hold %(category)s: it cannot be deleted. "
                    "Stop offering it instead; the registrations keep it.",
                    n,
                )
                % {"n": n, "category": category.name}
            ]
        _raise(errors)
        config.delete_audited(category, reason=reason, by=by, request=request)
