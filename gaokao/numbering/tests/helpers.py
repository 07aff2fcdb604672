"""Test helpers for number ranges."""

from django.db.models import F

from gaokao.numbering.models import NumberRange


def make_range(season, point, track, first, last, *, issued=0, expected=0) -> NumberRange:
    """A range written directly, bypassing the service (for setting up a situation)."""
    return NumberRange.objects.create(
        season=season,
        point=point,
        subject_track=track,
        first=first,
        last=last,
        next_serial=first + issued,
        expected_count=expected,
    )


def issue(number_range: NumberRange, count: int = 1) -> NumberRange:
    NumberRange.objects.filter(pk=number_range.pk).update(next_serial=F("next_serial") + count)
    number_range.refresh_from_db()
    return number_range
