"""`OwnedByUnit`: a row belongs to exactly one unit, a region or a registration point (R1),
in every model that says so, in the database as in `clean()`."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gaokao.comments.models import CommentTemplate
from gaokao.regions.models import AT_MOST_ONE_UNIT, ONE_UNIT, OwnedByUnit
from gaokao.testing.factories import CountyFactory, PointFactory, staff_for

pytestmark = pytest.mark.django_db

OWNED = [m for m in apps.get_models() if issubclass(m, OwnedByUnit)]


def test_r1_the_owned_models_are_the_five_with_a_region_or_a_point():
    assert sorted(m._meta.label for m in OWNED) == [
        "accounts.StaffUser",
        "audit.AuditEvent",
        "comments.CommentTemplate",
        "incidents.Incident",
        "incidents.IncidentEntry",
    ]


@pytest.mark.parametrize("model", OWNED, ids=lambda m: m._meta.label)
def test_r1_every_owned_model_keeps_the_database_check(model):
    # A model with a Meta of its own loses the abstract model's constraints unless it
    # lists them: this fails for the model that forgot.
    wanted = ONE_UNIT if model.unit_required else AT_MOST_ONE_UNIT
    conditions = [getattr(c, "condition", None) for c in model._meta.constraints]
    assert wanted in conditions


def template(**unit):
    author = staff_for(CountyFactory())
    return CommentTemplate(title="模板", text="该生表现良好。", created_by=author, **unit)


def test_r1_unit_reads_and_sets_whichever_key_applies():
    county, point = CountyFactory(), PointFactory()
    row = template(unit=point)
    assert (row.region, row.point, row.unit, row.unit_level) == (None, point, point, "point")
    row.unit = county
    assert (row.region, row.point, row.unit, row.unit_level) == (county, None, county, "county")
    with pytest.raises(TypeError):
        row.unit = "3601"


@pytest.mark.parametrize("keys", ["both", "neither"])
def test_r1_a_row_with_two_units_or_none_is_refused(keys):
    county, point = CountyFactory(), PointFactory()
    row = template(**({"region": county, "point": point} if keys == "both" else {}))
    with pytest.raises(ValidationError):
        row.clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_r1_owned_by_is_the_users_own_unit_only():
    county = CountyFactory()
    point = PointFactory(county=county)
    own, below = template(unit=county), template(unit=point)
    own.save()
    below.save()
    county_user, point_user = staff_for(county), staff_for(point)
    assert list(CommentTemplate.objects.owned_by(county_user)) == [own]
    assert list(CommentTemplate.objects.owned_by(point_user)) == [below]
    assert set(CommentTemplate.objects.visible_to(county_user)) == {own, below}
