"""行政区划与报名点 (issue 19, item 5): the province keeps its cities and counties, a county
its registration points; a city reads its counties' points. Thin: who may change what and
what uses a unit are in gaokao.regions.services, the audited saves in
gaokao.accounts.units. Another region's unit answers 404, another level's page 403."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gaokao.accounts import units
from gaokao.accounts.models import Role
from gaokao.office.regions.forms import DeleteForm, PointForm, RegionForm
from gaokao.regions import services as rules
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.web.access import offices_only, roles_required

province_only = roles_required(Role.PROVINCE)
county_only = roles_required(Role.COUNTY)


def show_refusal(form, refusal: ValidationError) -> None:
    """A service's refusal on the form: on its field where the form has it."""
    if hasattr(refusal, "error_dict"):
        for name, errors in refusal.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, refusal.messages)


def saved(request, changes: dict, unit) -> None:
    if changes:
        messages.success(request, _("%(unit)s is saved.") % {"unit": unit})
    else:
        messages.info(request, _("Nothing changed."))


@offices_only
def index(request):
    """The province's cities and counties; a city's counties; a county goes to its points."""
    user = request.user
    if user.role == Role.COUNTY:
        return redirect("regions:points", code=user.region.code)
    counties = rules.counties_seen(user).annotate(n_points=Count("points"))
    context = {
        "manages": rules.manages_regions(user),
        "cities": rules.managed_regions(user).filter(level=Region.Level.CITY),
        "counties": counties.select_related("parent"),
    }
    return render(request, "regions/index.html", context)


@province_only
@require_http_methods(["GET", "POST"])
def region_new(request, level: str):
    if level not in (Region.Level.CITY, Region.Level.COUNTY):
        raise Http404
    region = Region(level=level, parent=request.user.region if level == "city" else None)
    return _region_form(request, region)


@province_only
@require_http_methods(["GET", "POST"])
def region_edit(request, code: str):
    region = get_visible_or_404(rules.managed_regions(request.user), request.user, code=code)
    return _region_form(request, region)


def _region_form(request, region: Region):
    parents = rules.parents_for(request.user, region.level)
    form = RegionForm(request.POST or None, instance=region, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            changes = units.save_region(
                form.instance, by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as e:
            show_refusal(form, e)
        else:
            saved(request, changes, form.instance)
            return redirect("regions:index")
    return render(request, "regions/region_form.html", {"form": form, "region": region})


@province_only
@require_http_methods(["GET", "POST"])
def region_delete(request, code: str):
    region = get_visible_or_404(rules.managed_regions(request.user), request.user, code=code)
    return _delete(request, region, "regions:index")


@offices_only
def points(request, code: str):
    """A county's points: the county edits them; the province and its city read them."""
    county = get_visible_or_404(rules.counties_seen(request.user), request.user, code=code)
    context = {
        "county": county,
        "points": RegistrationPoint.objects.visible_to(request.user).filter(county=county),
        "manages": rules.manages_points_of(request.user, county),
    }
    return render(request, "regions/points.html", context)


def _own_point(request, code: str) -> RegistrationPoint:
    return get_visible_or_404(
        RegistrationPoint.objects.select_related("county").filter(county=request.user.region_id),
        request.user,
        code=code,
    )


@county_only
@require_http_methods(["GET", "POST"])
def point_new(request):
    county = request.user.region
    point = RegistrationPoint(county=county)
    return _point_form(request, point, initial={"code": rules.next_point_code(county)})


@county_only
@require_http_methods(["GET", "POST"])
def point_edit(request, code: str):
    return _point_form(request, _own_point(request, code))


def _point_form(request, point: RegistrationPoint, initial=None):
    form = PointForm(request.POST or None, instance=point, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changes = units.save_point(
                form.instance, by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as e:
            show_refusal(form, e)
        else:
            saved(request, changes, form.instance)
            return redirect("regions:points", code=point.county.code)
    return render(request, "regions/point_form.html", {"form": form, "point": point})


@county_only
@require_http_methods(["GET", "POST"])
def point_delete(request, code: str):
    point = _own_point(request, code)
    return _delete(request, point, "regions:points", code=point.county.code)


def _delete(request, unit, back: str, **back_args):
    """GET asks for confirmation and says what uses the unit; POST deletes with a reason,
    or shows the refusal."""
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            units.delete_unit(
                unit, by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as e:
            show_refusal(form, e)
        else:
            messages.success(request, _("%(unit)s is deleted.") % {"unit": unit})
            return redirect(back, **back_args)
    context = {
        "form": form,
        "unit": unit,
        "uses": rules.uses(unit),
        "back": reverse(back, kwargs=back_args),
    }
    return render(request, "regions/delete.html", context)
