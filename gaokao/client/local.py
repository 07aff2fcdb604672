"""Writing what the server sends into the point client's own database: the configuration
(the point, its county, the season and its windows, number ranges, code tables) and
snapshots of the point's candidates. Nothing written here is queued for the server, and a
snapshot never overwrites a candidate whose local change has not been acknowledged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gaokao.bundles.format import x25519_public_key
from gaokao.candidates.models import Candidate
from gaokao.candidates.rows import replace_rows
from gaokao.client.capture import from_server
from gaokao.client.fields import PULLED_FIELDS, ROW_FIELDS, SYNC_FIELDS, from_json
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.codes.models import Code, RegistrationFee, Table
from gaokao.numbering.models import NumberBlock, NumberRange
from gaokao.privacy.fields import with_indexes
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Phase, Season


class BadConfig(Exception):
    """The server's configuration lacks something the client cannot work without."""


def config_digest(config: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(config, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


# ── configuration ─────────────────────────────────────────────────────────────────────


def _text(value: Any, default: str = "") -> str:
    return str(value) if value not in (None, "") else default


def _region(code: str, level: str, parent: Region | None, name: str = "") -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        return Region.objects.create(code=code, level=level, parent=parent, name=name or code)
    if name and region.name != name:
        region.name = name
        region.save(update_fields=["name"])
    return region


def apply_config(config: dict[str, Any], state: ClientState) -> RegistrationPoint:
    """The point, its county and the season as the server has them (idempotent)."""
    point_cfg = config.get("point") or {}
    county_cfg = point_cfg.get("county") if isinstance(point_cfg.get("county"), dict) else {}
    point_code = _text(point_cfg.get("code"), state.point_code)
    county_code = _text(
        county_cfg.get("code") or point_cfg.get("county_code") or point_cfg.get("county")
    )
    if len(point_code) != 7 or len(county_code) != 6 or not county_code.isdigit():
        raise BadConfig(f"point {point_code!r} / county {county_code!r}")
    province = _region(
        county_code[:2] + "0000",
        Region.Level.PROVINCE,
        None,
        _text(county_cfg.get("province_name") or point_cfg.get("province_name")),
    )
    city = _region(
        county_code[:4] + "00",
        Region.Level.CITY,
        province,
        _text(county_cfg.get("city_name") or point_cfg.get("city_name")),
    )
    county = _region(
        county_code,
        Region.Level.COUNTY,
        city,
        _text(county_cfg.get("name") or point_cfg.get("county_name")),
    )
    # The point's code begins with its county's city-county code (市县码).
    registration_code = _text(
        county_cfg.get("registration_code") or point_cfg.get("registration_code"), point_code[:4]
    )
    if county.registration_code != registration_code:
        county.registration_code = registration_code
        county.save(update_fields=["registration_code"])
    point, _created = RegistrationPoint.objects.update_or_create(
        code=point_code,
        defaults={"county": county, "name": _text(point_cfg.get("name"), point_code)},
    )
    if config.get("codes"):
        apply_codes(config["codes"])
    season_cfg = config.get("season")
    if season_cfg:
        season = apply_season(season_cfg, province)
        apply_ranges(config.get("number_ranges") or config.get("ranges") or [], season, point)
        if isinstance(config.get("blocks"), list):
            apply_blocks(config["blocks"], season, point, state.device_id)
    if isinstance(config.get("device"), dict):
        save_peers(config["device"])
    key = config.get("bundle_public_key") or config.get("server_public_key")
    if key:
        check_bundle_key(str(key), state)
    return point


def check_bundle_key(key: str, state: ClientState) -> None:
    """The server's bundle key as a pull announces it (E5, issue 20): kept when this PC has
    none yet; a different one is not trusted silently but held as offered, until a person
    confirms it (`client export --server-key`, with the key the province publishes) or the
    PC is enrolled again."""
    try:
        x25519_public_key(key)
    except ValueError as e:
        raise BadConfig(f"bundle key {key[:60]!r}") from e
    if not state.bundle_public_key:
        state.bundle_public_key, state.bundle_key_offered = key, ""
    elif key != state.bundle_public_key:
        state.bundle_key_offered = key
    else:
        state.bundle_key_offered = ""


def apply_codes(rows: list[dict[str, Any]]) -> None:
    existing = {(c.table, c.code): c for c in Code.objects.all()}
    new, changed = [], []
    for n, row in enumerate(rows):
        table, code = _text(row.get("table")), _text(row.get("code"))
        if table not in Table.values or not code:
            continue
        values = {
            "name": _text(row.get("name"), code)[:60],
            "attrs": row.get("attrs") or {},
            "is_active": bool(row.get("is_active", True)),
            "sort_order": int(row.get("sort_order", n)),
        }
        current = existing.get((table, code))
        if current is None:
            new.append(Code(table=table, code=code, **values))
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            changed.append(current)
    Code.objects.bulk_create(new, batch_size=500)
    Code.objects.bulk_update(changed, ["name", "attrs", "is_active", "sort_order"], batch_size=500)


def _instant(value: Any) -> dt.datetime:
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise BadConfig(f"not a date and time: {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def apply_season(cfg: dict[str, Any], province: Region) -> Season:
    season_id = int(cfg["id"])
    Season.objects.exclude(pk=season_id).filter(is_current=True).update(is_current=False)
    season, _created = Season.objects.update_or_create(
        pk=season_id,
        defaults={
            "province": province,
            "year": int(cfg.get("year") or timezone.localdate().year),
            "name": _text(cfg.get("name"), str(season_id))[:100],
            "is_current": True,
        },
    )
    kinds = []
    for phase in cfg.get("phases") or []:
        kind = _text(phase.get("kind"))
        starts = phase.get("starts_at", phase.get("starts"))
        ends = phase.get("ends_at", phase.get("ends"))
        if not kind or starts is None or ends is None:
            continue
        kinds.append(kind)
        Phase.objects.update_or_create(
            season=season,
            kind=kind,
            defaults={"starts_at": _instant(starts), "ends_at": _instant(ends)},
        )
    season.phases.exclude(kind__in=kinds).delete()
    if isinstance(cfg.get("fees"), list):
        apply_fees(cfg["fees"], season)
    return season


def apply_fees(rows: list[dict[str, Any]], season: Season) -> None:
    """The registration fees the province set (S5), so that the point can record a fee as
    paid offline: it never types the amount, and without them the checks cannot be done."""
    tracks = []
    for row in rows:
        track, fee_fen = _text(row.get("track")), row.get("fee_fen")
        if not track or not isinstance(fee_fen, int) or fee_fen < 0:
            continue
        tracks.append(track)
        RegistrationFee.objects.update_or_create(
            season=season, subject_track=track, defaults={"fee_fen": fee_fen}
        )
    RegistrationFee.objects.filter(season=season).exclude(subject_track__in=tracks).delete()


def _serial(value: Any) -> int | None:
    text = str(value)
    if text.isdigit():
        return int(text[-4:]) if len(text) == 8 else int(text)
    return None


def apply_ranges(rows: list[dict[str, Any]], season: Season, point: RegistrationPoint) -> None:
    """The point's ranges. The next serial is the later of the server's and this client's
    own: numbers issued offline and not yet synced are never handed out twice."""
    for row in rows:
        track_code = _text(row.get("track") or row.get("subject_track") or row.get("track_code"))
        track = Code.objects.filter(table=Table.SUBJECT_TRACK, code=track_code).first()
        first, last = int(row["first"]), int(row["last"])
        if track is None:
            continue
        used = row.get("used", row.get("used_numbers"))
        if row.get("next_serial") is not None:
            server_next = int(row["next_serial"])
        elif isinstance(used, list):
            serials = [s for s in (_serial(u) for u in used) if s is not None]
            server_next = max(serials, default=first - 1) + 1
        elif isinstance(used, int):
            server_next = first + used
        else:
            server_next = first
        local = NumberRange.objects.filter(
            season=season, point=point, subject_track=track, first=first
        ).first()
        taken = (
            Candidate.objects.filter(season=season, point=point, subject_track=track_code)
            .exclude(registration_number=None)
            .values_list("registration_number", flat=True)
        )
        local_serials = [s for s in (_serial(n) for n in taken) if s and first <= s <= last]
        next_serial = max(server_next, max(local_serials, default=first - 1) + 1)
        if local is not None:
            next_serial = max(next_serial, local.next_serial)
        next_serial = min(max(next_serial, first), last + 1)
        NumberRange.objects.update_or_create(
            season=season,
            point=point,
            subject_track=track,
            first=first,
            defaults={"last": last, "next_serial": next_serial},
        )


def apply_blocks(
    rows: list[dict[str, Any]], season: Season, point: RegistrationPoint, holder: Any
) -> None:
    """The numbers the server reserved to this PC (issue 20): intake here takes numbers
    from these blocks only (gaokao.numbering.services.allocate_number). A block's next
    serial is the later of the server's and this PC's own, so a number issued here is
    never issued again; a block the server no longer lists is used up, or the PC was
    re-enrolled, and gives no more numbers."""
    kept = []
    for row in rows:
        number_range = NumberRange.objects.filter(
            season=season,
            point=point,
            subject_track__code=_text(row.get("track")),
            first=int(row["range_first"]),
        ).first()
        if number_range is None:
            continue
        first, last = int(row["first"]), int(row["last"])
        taken = (
            Candidate.objects.filter(season=season, point=point)
            .exclude(registration_number=None)
            .values_list("registration_number", flat=True)
        )
        serials = [s for s in (_serial(n) for n in taken) if s and first <= s <= last]
        local = NumberBlock.objects.filter(number_range=number_range, first=first).first()
        next_serial = max(
            int(row.get("next_serial") or first),
            max(serials, default=first - 1) + 1,
            local.next_serial if local is not None else first,
        )
        block, _created = NumberBlock.objects.update_or_create(
            number_range=number_range,
            first=first,
            defaults={
                "holder": holder,
                "last": last,
                "next_serial": min(max(next_serial, first), last + 1),
                "released_at": None,
            },
        )
        kept.append(block.pk)
    NumberBlock.objects.filter(
        number_range__season=season, holder=holder, released_at__isnull=True
    ).exclude(pk__in=kept).update(released_at=timezone.now())


def peers_path() -> Path:
    return Path(settings.DATA_DIR) / "client" / "peers.json"


def save_peers(device: dict[str, Any]) -> None:
    """Which point client of its point this PC is, as the server last said (issue 20)."""
    keep = {k: device.get(k) for k in ("name", "number", "of", "others")}
    path = peers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keep, ensure_ascii=False))


def peers() -> dict[str, Any]:
    """{"name", "number", "of", "others"} as last saved, or {} before the first pull."""
    try:
        data = json.loads(peers_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def peers_text() -> str:
    """Which PC of its point this is, in words for the point's staff (issue 20)."""
    info = peers()
    number, of = info.get("number") or 0, info.get("of") or 0
    if not number:
        return ""
    if of <= 1:
        return _("This is the point's only point client.")
    return _(
        "This is point client no. %(number)d of the point: the point has %(of)d working point"
        " clients (the others: %(others)s). Each PC takes registration numbers from its own"
        " block, so no two of them hand out the same number."
    ) % {"number": number, "of": of, "others": "、".join(info.get("others") or [])}


def own_blocks(holder: Any) -> list[NumberBlock]:
    """The numbers reserved to this PC that it has not used yet."""
    return list(
        NumberBlock.objects.filter(
            holder=holder, released_at__isnull=True, next_serial__lte=F("last")
        )
        .select_related("number_range__subject_track", "number_range__point__county")
        .order_by("number_range__first", "first")
    )


def blocks_text(holder: Any) -> str:
    """The registration numbers this PC has left, per block."""
    blocks = own_blocks(holder)
    if not blocks:
        return _(
            "This PC has no registration numbers left: connect to the network and sync to get more."
        )
    return _("Registration numbers left on this PC: %(blocks)s.") % {
        "blocks": "; ".join(
            _("%(track)s %(first)s–%(last)s (%(left)d left)")
            % {
                "track": b.number_range.subject_track.name,
                "first": b.number(b.next_serial),
                "last": b.last_number,
                "left": b.free,
            }
            for b in blocks
        )
    }


# ── candidates ────────────────────────────────────────────────────────────────────────


def has_unacknowledged_change(candidate_id: Any) -> bool:
    return Outbox.objects.filter(
        kind=Outbox.Kind.CHANGE, candidate_id=candidate_id, state=Outbox.State.PENDING
    ).exists()


def apply_snapshot(snapshot: dict[str, Any], season: Season, point: RegistrationPoint) -> str:
    """Write one candidate as the server has it: "written", "kept" (a local change waits)
    or "skipped" (it clashes with a local record; the sync of that record will say why)."""
    candidate_id = uuid.UUID(str(snapshot["id"]))
    if has_unacknowledged_change(candidate_id):
        return "kept"
    source = snapshot.get("fields") if isinstance(snapshot.get("fields"), dict) else snapshot
    synced = {name: source[name] for name in SYNC_FIELDS if name in source}
    values = {name: from_json(name, v) for name, v in synced.items() if name not in ROW_FIELDS}
    values |= {name: from_json(name, source[name]) for name in PULLED_FIELDS if name in source}
    version = int(snapshot.get("version") or 1)
    if snapshot.get("stage"):
        values["stage"] = snapshot["stage"]
    try:
        with from_server(), transaction.atomic():
            if Candidate.objects.filter(pk=candidate_id).exists():
                # An update() writes the blind index only when told (gaokao.privacy).
                Candidate.objects.filter(pk=candidate_id).update(
                    **with_indexes(Candidate, values), version=version, updated_at=timezone.now()
                )
            else:
                Candidate(
                    id=candidate_id,
                    season=season,
                    point=point,
                    number_range=_range_of(season, point, values),
                    version=version,
                    **values,
                ).save(force_insert=True)
            replace_rows(
                candidate_id,
                **{name: synced[name] or [] for name in ROW_FIELDS if name in synced},
            )
            Known.objects.update_or_create(
                candidate_id=candidate_id, defaults={"version": version, "fields": synced}
            )
    except IntegrityError:
        return "skipped"
    return "written"


def _range_of(season, point, values) -> NumberRange | None:
    serial = _serial(values.get("registration_number") or "")
    if serial is None:
        return None
    return NumberRange.objects.filter(
        season=season,
        point=point,
        subject_track__code=values.get("subject_track"),
        first__lte=serial,
        last__gte=serial,
    ).first()
