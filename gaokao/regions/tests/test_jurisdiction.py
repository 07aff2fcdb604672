"""Jurisdiction (R1, S2): every staff query is scoped to the user's own unit and below.

The province is built once per test: two cities, two counties in the first city, one in
the second, a point in every county and a candidate at every point.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.http import Http404

from gaokao.accounts.models import Role, StaffUser
from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.testing.factories import (
    CandidateFactory,
    CityFactory,
    CountyFactory,
    PointFactory,
    ProvinceFactory,
    SeasonFactory,
    StaffFactory,
    staff_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    province = ProvinceFactory()
    city, other_city = CityFactory(parent=province), CityFactory(parent=province)
    county, sibling = CountyFactory(parent=city), CountyFactory(parent=city)
    far = CountyFactory(parent=other_city)
    point, point2 = PointFactory(county=county), PointFactory(county=county)
    sibling_point, far_point = PointFactory(county=sibling), PointFactory(county=far)
    season = SeasonFactory(province=province)
    candidates = {
        p.code: CandidateFactory(season=season, point=p)
        for p in (point, point2, sibling_point, far_point)
    }
    return SimpleNamespace(**locals())


def codes(qs):
    return set(qs.values_list("code", flat=True))


def candidate_points(user):
    return set(Candidate.objects.visible_to(user).values_list("point__code", flat=True))


def test_r1_province_sees_the_whole_province(tree):
    user = staff_for(tree.province)
    assert codes(Region.objects.visible_to(user)) == codes(Region.objects.all())
    assert codes(RegistrationPoint.objects.visible_to(user)) == codes(
        RegistrationPoint.objects.all()
    )
    assert Candidate.objects.visible_to(user).count() == 4


def test_r1_city_sees_its_counties_not_the_other_city(tree):
    user = staff_for(tree.city)
    assert codes(Region.objects.visible_to(user)) == {
        tree.city.code,
        tree.county.code,
        tree.sibling.code,
    }
    assert codes(RegistrationPoint.objects.visible_to(user)) == {
        tree.point.code,
        tree.point2.code,
        tree.sibling_point.code,
    }
    assert tree.far_point.code not in candidate_points(user)
    assert len(candidate_points(user)) == 3


def test_s2_county_sees_its_points_only(tree):
    user = staff_for(tree.county)
    assert codes(Region.objects.visible_to(user)) == {tree.county.code}
    assert codes(RegistrationPoint.objects.visible_to(user)) == {tree.point.code, tree.point2.code}
    assert candidate_points(user) == {tree.point.code, tree.point2.code}


def test_s2_point_sees_itself_only(tree):
    user = staff_for(tree.point)
    assert not Region.objects.visible_to(user).exists()
    assert codes(RegistrationPoint.objects.visible_to(user)) == {tree.point.code}
    assert candidate_points(user) == {tree.point.code}


def test_s2_another_county_sees_nothing_of_this_one(tree):
    outsider = staff_for(tree.sibling)  # same city, different county
    assert tree.county.code not in codes(Region.objects.visible_to(outsider))
    assert not RegistrationPoint.objects.visible_to(outsider).filter(county=tree.county).exists()
    assert not Candidate.objects.visible_to(outsider).filter(point__county=tree.county).exists()
    assert not StaffUser.objects.visible_to(outsider).filter(region=tree.county).exists()
    with pytest.raises(Http404):
        get_visible_or_404(Candidate.objects, outsider, pk=tree.candidates[tree.point.code].pk)
    with pytest.raises(Http404):
        get_visible_or_404(RegistrationPoint.objects, outsider, code=tree.point.code)


def test_s2_staff_accounts_are_scoped_like_their_units(tree):
    county_user = staff_for(tree.county)
    point_user = staff_for(tree.point)
    far_user = staff_for(tree.far)
    visible = set(StaffUser.objects.visible_to(staff_for(tree.city)))
    assert {county_user, point_user} <= visible
    assert far_user not in visible
    assert set(StaffUser.objects.visible_to(county_user)) == {county_user, point_user}
    assert set(StaffUser.objects.visible_to(point_user)) == {point_user}


def test_r1_inactive_and_anonymous_users_see_nothing(tree):
    inactive = staff_for(tree.province, is_active=False)
    for user in (inactive, AnonymousUser()):
        assert not Region.objects.visible_to(user).exists()
        assert not RegistrationPoint.objects.visible_to(user).exists()
        assert not Candidate.objects.visible_to(user).exists()
        assert not StaffUser.objects.visible_to(user).exists()


def test_r1_visible_or_404_finds_objects_inside_the_jurisdiction(tree):
    user = staff_for(tree.county)
    candidate = tree.candidates[tree.point2.code]
    assert get_visible_or_404(Candidate.objects, user, pk=candidate.pk) == candidate
    with pytest.raises(Http404):
        get_visible_or_404(Candidate.objects, user, pk="not-a-uuid")


def test_s2_an_account_must_belong_to_a_unit_of_its_role(tree):
    from django.core.exceptions import ValidationError

    wrong_level = StaffUser(username="x", role=Role.COUNTY, region=tree.city)
    with pytest.raises(ValidationError):
        wrong_level.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(role=Role.POINT, region=tree.county, point=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(role=Role.COUNTY, region=None)
