"""The office pages of sync: the unit's point clients, and the conflicts waiting for a
person. Point and county staff only, each within their jurisdiction."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gaokao.accounts.models import Role
from gaokao.candidates.errors import CandidateRefused
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.sync import conflicts as sync_conflicts
from gaokao.sync.display import field_labels, value_rows
from gaokao.sync.enrolment import revoke
from gaokao.sync.errors import SyncRefused, message_of
from gaokao.sync.forms import ResolveForm
from gaokao.sync.models import Conflict, Device
from gaokao.sync.offline import skew_text
from gaokao.web.access import roles_required

PAGE_SIZE = 20
staff_of_points = roles_required(Role.POINT, Role.COUNTY)


# ── point clients ──────────────────────────────────────────────────────────────────────


@staff_of_points
@require_GET
def devices(request):
    rows = Device.objects.visible_to(request.user).select_related("point", "enrolled_by")
    rows = rows.order_by("revoked_at", "point__code", "name")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for device in page:
        device.skew = skew_text(device)
    return render(request, "sync/devices.html", {"page": page})


@staff_of_points
@require_http_methods(["GET", "POST"])
def device_revoke(request, pk):
    """GET asks for confirmation; only the POST revokes."""
    device = get_visible_or_404(Device.objects.select_related("point"), request.user, pk=pk)
    if device.revoked_at is not None:
        messages.info(request, _("This point client is revoked already."))
        return redirect("sync:devices")
    if request.method == "POST":
        revoke(device, request.user, request=request)
        messages.success(
            request,
            _("The point client is revoked. Its token and its bundles are refused from now on."),
        )
        return redirect("sync:devices")
    return render(request, "sync/device_revoke.html", {"device": device})


# ── conflicts ──────────────────────────────────────────────────────────────────────────


def _rows(conflict: Conflict) -> list[dict[str, Any]]:
    now = sync_conflicts.current_values(conflict)
    return value_rows(conflict.point_values, now, conflict.server_values)


def _conflicts(user):
    return Conflict.objects.visible_to(user).select_related(
        "candidate__point", "receipt__device", "resolved_by"
    )


@staff_of_points
@require_GET
def conflicts(request):
    rows = sync_conflicts.open_conflicts(_conflicts(request.user)).order_by("created_at", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [{"conflict": c, "rows": _rows(c)} for c in page]
    return render(request, "sync/conflicts.html", {"page": page, "items": items})


@staff_of_points
@require_http_methods(["GET", "POST"])
def conflict_detail(request, pk: int):
    conflict = get_visible_or_404(_conflicts(request.user), request.user, pk=pk)
    candidate = conflict.candidate
    form = None
    if not conflict.resolution:
        initial = {"version": candidate.version}
        form = ResolveForm(conflict, field_labels(), request.POST or None, initial=initial)
    if request.method == "POST" and form is None:
        messages.info(request, _("This conflict was resolved already."))
        return redirect("sync:conflict", pk=conflict.pk)
    if request.method == "POST" and form.is_valid():
        choice, fields = form.decision()
        try:
            sync_conflicts.resolve(
                conflict,
                choice,
                fields,
                by=request.user,
                version=form.cleaned_data["version"],
                request=request,
            )
        except (SyncRefused, CandidateRefused) as e:
            if getattr(e, "code", None) == "stale":  # show the current values again
                messages.error(request, message_of(e))
                return redirect("sync:conflict", pk=conflict.pk)
            form.add_error(None, message_of(e))
        else:
            messages.success(request, _("The conflict is resolved."))
            return redirect("sync:conflicts")
    rows = _rows(conflict)
    may_apply = sync_conflicts.may_resolve(request.user, conflict, Conflict.Resolution.POINT)
    if form is not None and may_apply:
        for row in rows:
            row["field"] = form[f"keep_{row['name']}"]
    context = {
        "conflict": conflict,
        "c": candidate,
        "rows": rows,
        "form": form,
        "may_apply": may_apply,
        "may_keep": sync_conflicts.may_resolve(request.user, conflict, Conflict.Resolution.SERVER),
        # A number clash (issue 20): the county gives a fresh number.
        "may_number": sync_conflicts.may_resolve(
            request.user, conflict, Conflict.Resolution.NUMBER
        ),
    }
    return render(request, "sync/conflict.html", context)
