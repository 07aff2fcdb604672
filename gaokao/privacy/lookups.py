"""Finding rows by an encrypted number: through its blind index, exactly.

    Candidate.objects.filter(season=season).filter(by_index("430102200203150011"))
    Candidate.objects.filter(Q(name__contains=q) | by_index(q))

During a re-index (GAOKAO_OLD_INDEX_KEY set) a row may still carry the index under the old
key, so the look-up asks for both.
"""

from __future__ import annotations

from django.db.models import Q

from gaokao.privacy.crypto import blind_index, index_matches, index_values, normalise

__all__ = ["blind_index", "by_index", "index_matches", "index_values", "normalise"]


def by_index(value: str, index_field: str = "id_number_index") -> Q:
    """Rows whose `index_field` is the blind index of `value` (nothing for an empty value)."""
    indexes = [i for i in index_values(value or "") if i]
    if not indexes:
        return Q(pk__in=[])
    return Q(**{f"{index_field}__in": indexes})
