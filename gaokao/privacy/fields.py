"""Model fields for identity numbers at rest.

`EncryptedTextField`: the Python value is the plaintext; the column holds
"v1:<key id>:<base64>" (gaokao.privacy.crypto), encrypted on every write (save, update,
bulk_create, bulk_update) and decrypted on every read. An empty value stays empty, so that
"not given" needs no key. Because every write uses a fresh nonce, the database cannot
compare such values: `filter(id_number=...)`, `exclude`, `get`, `__in`, `__contains` and
comparisons with F() raise `PlaintextLookup`, which says to use the blind index instead.
Only `__isnull` and an exact match with "" (blank) are allowed.

`EncryptedJSONField`: the same for a JSON document kept whole (the point client's outbox),
which nothing may query but `__isnull`.

`BlindIndexField`: HMAC-SHA256 of another field's plaintext (gaokao.privacy.crypto.blind_index),
set by the field itself whenever the row is saved or bulk-created. A `save(update_fields=...)`
naming the source also writes the index when the model inherits `BlindIndexedModel`; a
`QuerySet.update()` or `bulk_update()` that sets the source must set the index as well:
`with_indexes(Model, values)` adds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import Exact, IsNull

from gaokao.privacy import crypto


class PlaintextLookup(FieldError):
    """A query compared an encrypted column with a value: it can never match."""


def _refuse(field: EncryptedTextField, lookup: str) -> PlaintextLookup:
    label = f"{field.model.__name__}.{field.name}" if hasattr(field, "model") else field.name
    index = field.index_field_name()
    hint = (
        f" Look it up by its blind index: filter({index}__in=index_values(value)) or"
        f" Q({index}__in=...), see gaokao.privacy.lookups."
        if index
        else " This column has no blind index: it cannot be searched."
    )
    return PlaintextLookup(
        f"{label} is encrypted at rest, so the database cannot compare it ({lookup}).{hint}"
    )


class BlankOnlyExact(Exact):
    """`field=""`: rows where nothing was given (stored as "", never encrypted)."""

    def get_prep_lookup(self):
        if isinstance(self.rhs, str) and self.rhs == "":
            return ""
        raise _refuse(self.lhs.output_field, "exact")


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest (AES-256-GCM)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # The plaintext's limit (the column holds the longer ciphertext).
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    @property
    def encryption_label(self) -> str:
        """The associated data of its values: "app_label.model.field"."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def index_field_name(self) -> str | None:
        model = getattr(self, "model", None)
        if model is None:
            return None
        for field in model._meta.get_fields():
            if isinstance(field, BlindIndexField) and field.source == self.name:
                return field.name
        return None

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return BlankOnlyExact
        raise _refuse(self, lookup_name)

    def get_transform(self, lookup_name: str):
        raise _refuse(self, lookup_name)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.encryption_label)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, self.encryption_label)

    def formfield(self, **kwargs):
        # One line of text (not a textarea), with the plaintext's limit.
        return models.Field.formfield(
            self, **{"max_length": self.max_length, "form_class": forms.CharField, **kwargs}
        )


class EncryptedJSONField(EncryptedTextField):
    """A JSON value encrypted at rest as one document: for work that carries identity
    numbers outside their own columns (the point client's outbox until the server has it).
    Nothing in it can be queried; only `__isnull`."""

    description = "JSON encrypted at rest (AES-256-GCM)"

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return IsNull
        raise _refuse(self, lookup_name)

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else None

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value


class BlindIndexField(models.CharField):
    """The blind index of the field named `source` (hex HMAC-SHA256, "" when it is empty)."""

    description = "Blind index (HMAC-SHA256) of an encrypted field"

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key, value) == value:
                kwargs.pop(key, None)
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def index_fields(model: type[models.Model]) -> dict[str, str]:
    """{source field: its blind index field} of a model."""
    return {f.source: f.name for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)}


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def with_indexes(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """`values` for QuerySet.update() with the blind index of every indexed field they set."""
    out = dict(values)
    for source, index in index_fields(model).items():
        if source in values:
            out[index] = crypto.blind_index(values[source] or "")
    return out


def with_index_names(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """Field names (update_fields, bulk_update) with the index of each indexed field named."""
    names = list(names)
    indexes = index_fields(model)
    return names + [indexes[n] for n in names if n in indexes and indexes[n] not in names]


class BlindIndexedModel(models.Model):
    """Writes the blind index along with its source in `save(update_fields=[...])`, and
    refreshes it before a bulk_update through `bulk_update_indexed`."""

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            update_fields = with_index_names(type(self), update_fields)
        return super().save(*args, update_fields=update_fields, **kwargs)

    def full_clean(self, *args, **kwargs):
        # Constraints on an index (one person per season) are validated before the save
        # that would compute it: compute it now.
        for source, index in index_fields(type(self)).items():
            setattr(self, index, crypto.blind_index(getattr(self, source) or ""))
        return super().full_clean(*args, **kwargs)


def bulk_update_indexed(model: type[models.Model], objs: list, fields: Iterable[str], **kw):
    """`bulk_update` that also sets and writes the blind index of every indexed field."""
    fields = list(fields)
    for source, index in index_fields(model).items():
        if source in fields:
            for obj in objs:
                setattr(obj, index, crypto.blind_index(getattr(obj, source) or ""))
    return model.objects.bulk_update(objs, with_index_names(model, fields), **kw)
