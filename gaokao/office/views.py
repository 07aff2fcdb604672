from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone

from gaokao.accounts.models import Role, StaffUser
from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons import NoCurrentSeason, current
from gaokao.seasons.models import Season


def schedule_for(user: StaffUser) -> tuple[Season | None, list[dict]]:
    """The current season's phases as they apply to the user's region."""
    try:
        season = current()
    except NoCurrentSeason:  # the home page still opens, without a schedule
        return None, []
    now, region = timezone.now(), user.home_region
    rows = []
    for phase in season.phases.all():
        ends_at = phase.ends_at_for(region)
        rows.append(
            {
                "phase": phase,
                "ends_at": ends_at,
                "extended": ends_at != phase.ends_at,
                "is_open": phase.starts_at <= now <= ends_at,
                "upcoming": now < phase.starts_at,
            }
        )
    return season, rows


@login_required
def home(request):
    user = request.user
    season, phases = schedule_for(user)
    if user.role == Role.POINT:
        below = []
    elif user.role == Role.COUNTY:
        below = RegistrationPoint.objects.visible_to(user).filter(county=user.region)
    else:
        below = (
            Region.objects.visible_to(user)
            .filter(parent=user.region)
            .annotate(n_children=Count("children", distinct=True), n_points=Count("points"))
        )
    return render(request, "office/home.html", {"season": season, "phases": phases, "below": below})


@login_required
def units(request):
    if request.user.role == Role.POINT:
        return redirect("office:point", code=request.user.point.code)
    return redirect("office:region", code=request.user.region.code)


@login_required
def region_detail(request, code: str):
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    visible = Region.objects.visible_to(request.user)
    context = {
        "region": region,
        "parent": visible.filter(pk=region.parent_id).first(),
        "children": visible.filter(parent=region).annotate(n_points=Count("points")),
        "points": RegistrationPoint.objects.visible_to(request.user).filter(county=region),
        "staff": StaffUser.objects.visible_to(request.user).filter(region=region),
    }
    return render(request, "office/region.html", context)


@login_required
def point_detail(request, code: str):
    point = get_visible_or_404(
        RegistrationPoint.objects.select_related("county"), request.user, code=code
    )
    context = {
        "point": point,
        "county": Region.objects.visible_to(request.user).filter(pk=point.county_id).first(),
        "staff": StaffUser.objects.visible_to(request.user).filter(point=point),
        "candidates": Candidate.objects.visible_to(request.user).filter(point=point).count(),
    }
    return render(request, "office/point.html", context)


@login_required
def schedule(request):
    season, phases = schedule_for(request.user)
    return render(request, "office/schedule.html", {"season": season, "phases": phases})
