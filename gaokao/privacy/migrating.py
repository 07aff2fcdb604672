"""Data migrations that encrypt a column that held plaintext, and back.

Used by the apps' migrations between an AlterField to a plain TextField (room for the
ciphertext) and an AlterField to EncryptedTextField (no SQL): at that point the historical
model reads and writes the column's raw text. Rows go in batches by primary key, so that
600,000 candidates never sit in memory at once; a value that is already encrypted is
left alone, so a run can be repeated.
"""

from __future__ import annotations

from django.db import connections

from gaokao.privacy import crypto

BATCH = 2000


def settle(model) -> None:
    """PostgreSQL refuses to ALTER a table with deferred constraint checks pending from rows
    updated in the same transaction: run them now, so the migration's next step may."""
    connection = connections[model._default_manager.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _batches(model, field: str, batch: int):
    last = None
    while True:
        qs = model._default_manager.order_by("pk")
        if last is not None:
            qs = qs.filter(pk__gt=last)
        rows = list(qs.values_list("pk", field)[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def encrypt_column(
    apps, app_label: str, model_name: str, field: str, index_field: str | None = None,
    batch: int = BATCH,
) -> int:  # fmt: skip
    """Encrypt `field` of every row (and fill its blind index); returns the rows changed."""
    model = apps.get_model(app_label, model_name)
    column = f"{model._meta.label_lower}.{field}"
    changed = 0
    key = None
    for rows in _batches(model, field, batch):
        objs = []
        for pk, value in rows:
            if not value or crypto.is_encrypted(value):
                continue
            key = key or crypto.keys.current_data_key()
            obj = model(pk=pk)
            setattr(obj, field, crypto.encrypt(value, column, key))
            if index_field:
                setattr(obj, index_field, crypto.blind_index(value))
            objs.append(obj)
        if objs:
            fields = [field, index_field] if index_field else [field]
            model._default_manager.bulk_update(objs, fields)
            changed += len(objs)
    settle(model)
    return changed


def decrypt_column(apps, app_label: str, model_name: str, field: str, batch: int = BATCH) -> int:
    """The reverse: the plaintext back into `field` (the index is dropped by the schema)."""
    model = apps.get_model(app_label, model_name)
    column = f"{model._meta.label_lower}.{field}"
    changed = 0
    for rows in _batches(model, field, batch):
        objs = []
        for pk, value in rows:
            if crypto.is_encrypted(value):
                obj = model(pk=pk)
                setattr(obj, field, crypto.decrypt(value, column))
                objs.append(obj)
        if objs:
            model._default_manager.bulk_update(objs, [field])
            changed += len(objs)
    settle(model)
    return changed
