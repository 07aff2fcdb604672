"""Identity numbers at rest: the audited full view, and the key rotation.

`reveal_id_number` gives a candidate's full number to staff whose jurisdiction holds the
candidate (the view fetches the candidate through `get_visible_or_404`) and records it.
`record_full_numbers` records a document or export that prints full numbers.

`rotate` re-encrypts, in batches, every value whose key id is not the current one; the
values still on an old key stay readable meanwhile, because each names its key. `reindex`
recomputes every blind index under the current index key (after INDEX_KEY changed), and the
copies of an index kept elsewhere (INDEX_COPIES) with it. Both lock each batch's rows, run a
transaction per batch, can be stopped at any moment and run again (they pick up what is
left), and change nothing when there is nothing to do. See docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.privacy import crypto, keys
from gaokao.privacy.fields import EncryptedTextField, encrypted_fields, index_fields

BATCH = 1000
# Copies of a blind index kept in another table, to tell later whether the number changed
# since (model, its index field, the foreign key to the source row, the source's index).
INDEX_COPIES = (("proofreading.IdentityCheck", "id_number_index", "candidate", "id_number_index"),)

Progress = Callable[[str, int, int], None]


# ── the full number, audited ───────────────────────────────────────────────────────────


def reveal_id_number(candidate: Any, *, by: Any, request=None) -> str:
    """The candidate's full document number; the view is recorded in the audit trail."""
    record(
        Action.IDENTITY_VIEWED,
        request=request,
        actor=by,
        unit=candidate.point,
        target=candidate,
        field="id_number",
    )
    return candidate.id_number


def record_full_numbers(document: str, candidates: list, *, by: Any, request=None) -> None:
    """A document that prints full ID numbers (login cards, the login sheet) was made."""
    if not candidates:
        return
    record(
        Action.IDENTITY_VIEWED,
        request=request,
        actor=by,
        unit=candidates[0].point,
        document=document,
        numbers=[c.registration_number for c in candidates],
    )


# ── what is encrypted ──────────────────────────────────────────────────────────────────


def encrypted_columns() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    for model in apps.get_models():
        for f in encrypted_fields(model):
            yield model, f


def _stored(model: type[models.Model], f: EncryptedTextField) -> models.QuerySet:
    """The rows with a value, annotated with the stored text as it is (no decryption)."""
    return (
        model._default_manager.annotate(_stored=Cast(f.name, models.TextField()))
        .exclude(_stored="")
        .exclude(_stored__isnull=True)
    )


def _on_old_key(model, f, key_id: str) -> models.QuerySet:
    return _stored(model, f).exclude(_stored__startswith=f"{crypto.PREFIX}{key_id}:")


@dataclass
class ColumnStatus:
    column: str
    rows: int
    on_current_key: int

    @property
    def to_rotate(self) -> int:
        return self.rows - self.on_current_key


def status() -> list[ColumnStatus]:
    key_id = keys.current_data_key()[0]
    out = []
    for model, f in encrypted_columns():
        rows = _stored(model, f).count()
        out.append(
            ColumnStatus(f.encryption_label, rows, rows - _on_old_key(model, f, key_id).count())
        )
    return out


# ── rotation ───────────────────────────────────────────────────────────────────────────


@dataclass
class RotationReport:
    key_id: str
    rotated: dict[str, int] = field(default_factory=dict)
    reindexed: dict[str, int] = field(default_factory=dict)


def rotate(*, by: str, batch: int = BATCH, progress: Progress | None = None) -> RotationReport:
    """Re-encrypt with the current data key every value encrypted with another one."""
    key_id = keys.current_data_key()[0]
    report = RotationReport(key_id)
    for model, f in encrypted_columns():
        pending = _on_old_key(model, f, key_id).order_by("pk")
        total, done, after = pending.count(), 0, None
        while True:
            with transaction.atomic():
                todo = pending if after is None else pending.filter(pk__gt=after)
                pks = list(todo.values_list("pk", flat=True)[:batch])
                if not pks:
                    break
                after = pks[-1]
                # Locked and read again: a save in between has written the current key.
                objs = list(
                    model._default_manager.select_for_update()
                    .filter(pk__in=pks)
                    .order_by("pk")
                    .only("pk", f.name)
                )
                model._default_manager.bulk_update(objs, [f.name])
            done += len(objs)
            if progress:
                progress(f.encryption_label, done, total)
        report.rotated[f.encryption_label] = done
    record(Action.KEYS_ROTATED, label=by, step="rotate", key_id=key_id, rows=report.rotated)
    return report


def _index_copies(model: type[models.Model]) -> list[tuple[type[models.Model], str, str, str]]:
    found = []
    for label, copy_field, fk, source_index in INDEX_COPIES:
        copy_model = apps.get_model(label)
        if copy_model._meta.get_field(fk).related_model is model:
            found.append((copy_model, copy_field, fk, source_index))
    return found


def _reindex_batch(model, source: str, index: str, after: Any, batch: int) -> tuple[Any, int, int]:
    """One batch of rows after the primary key `after`: (the last key, rows, rows changed)."""
    with transaction.atomic():
        qs = model._default_manager.select_for_update().order_by("pk").only("pk", source, index)
        if after is not None:
            qs = qs.filter(pk__gt=after)
        objs = list(qs[:batch])
        if not objs:
            return None, 0, 0
        changed, before = [], {}
        for obj in objs:
            new = crypto.blind_index(getattr(obj, source) or "")
            if getattr(obj, index) != new:
                before[obj.pk] = (getattr(obj, index), new)
                setattr(obj, index, new)
                changed.append(obj)
        model._default_manager.bulk_update(changed, [index])
        for copy_model, copy_field, fk, source_index in _index_copies(model):
            if source_index != index or not before:
                continue
            copies = list(copy_model._default_manager.filter(**{f"{fk}_id__in": list(before)}))
            moved = []
            for copy in copies:
                old, new = before[getattr(copy, f"{fk}_id")]
                if getattr(copy, copy_field) == old:  # a copy of another number stays so
                    setattr(copy, copy_field, new)
                    moved.append(copy)
            copy_model._default_manager.bulk_update(moved, [copy_field])
        return objs[-1].pk, len(objs), len(changed)


def reindex(*, by: str, batch: int = BATCH, progress: Progress | None = None) -> RotationReport:
    """Recompute every blind index (and its copies) under the current index key."""
    report = RotationReport(keys.current_data_key()[0])
    for model in apps.get_models():
        for source, index in index_fields(model).items():
            label = f"{model._meta.label_lower}.{index}"
            total = model._default_manager.count()
            after, seen, changed = None, 0, 0
            while True:
                last, n, n_changed = _reindex_batch(model, source, index, after, batch)
                if last is None:
                    break
                after, seen, changed = last, seen + n, changed + n_changed
                if progress:
                    progress(label, seen, total)
            report.reindexed[label] = changed
    record(Action.KEYS_ROTATED, label=by, step="reindex", rows=report.reindexed)
    return report
