"""The office pages of sync: the unit's point clients, and the conflicts waiting for a
person. Point and county staff only, each within their jurisdiction."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gaokao.accounts.jurisdiction import get_visible_or_404
from gaokao.accounts.models import Role
from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import Candidate, EligibilityResult
from gaokao.codes.models import Code
from gaokao.office.access import roles_required
from gaokao.portal.services import CODE_FIELDS
from gaokao.sync import services
from gaokao.sync.forms import ResolveForm
from gaokao.sync.models import Conflict, Device

PAGE_SIZE = 20
staff_of_points = roles_required(Role.POINT, Role.COUNTY)


# ── point clients ──────────────────────────────────────────────────────────────────────


@staff_of_points
@require_GET
def devices(request):
    rows = Device.objects.visible_to(request.user).select_related("point", "enrolled_by")
    rows = rows.order_by("revoked_at", "point__code", "name")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
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
        services.revoke(device, request.user, request=request)
        messages.success(
            request,
            _("The point client is revoked. Its token and its bundles are refused from now on."),
        )
        return redirect("sync:devices")
    return render(request, "sync/device_revoke.html", {"device": device})


# ── conflicts ──────────────────────────────────────────────────────────────────────────


def _labels() -> dict[str, str]:
    field = Candidate._meta.get_field
    labels = {name: capfirst(field(name).verbose_name) for name in services.SYNC_FIELDS}
    return labels | {"fee_fen": _("Registration fee paid (yuan)")}


def _display(name: str, value: Any, codes: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "fee_fen" and isinstance(value, int):
        return f"{value / 100:.2f}"
    if name == "eligibility" and value in EligibilityResult.values:
        return str(EligibilityResult(value).label)
    if name in CODE_FIELDS:
        found = codes.get((CODE_FIELDS[name], value))
        return f"{value} {found}" if found else str(value)
    return str(value)


def _rows(conflict: Conflict) -> list[dict[str, Any]]:
    """Field by field: the point's value, the server's when the change came, and now."""
    labels, now = _labels(), services.current_values(conflict)
    wanted = {
        (CODE_FIELDS[n], v)
        for values in (conflict.point_values, conflict.server_values, now)
        for n, v in values.items()
        if n in CODE_FIELDS and v
    }
    codes = {}
    if wanted:
        tables = {t for t, _v in wanted}
        for c in Code.objects.filter(table__in=tables, code__in={v for _t, v in wanted}):
            codes[(c.table, c.code)] = c.name
    rows = []
    for name, point_value in conflict.point_values.items():
        then = conflict.server_values.get(name)
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "point": _display(name, point_value, codes),
                "then": _display(name, then, codes),
                "now": _display(name, now.get(name), codes),
                "differs": point_value != now.get(name),
                "moved": then != now.get(name),
            }
        )
    return rows


def _conflicts(user):
    return Conflict.objects.visible_to(user).select_related(
        "candidate__point", "receipt__device", "resolved_by"
    )


@staff_of_points
@require_GET
def conflicts(request):
    rows = services.open_conflicts(_conflicts(request.user)).order_by("created_at", "pk")
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
        form = ResolveForm(conflict, _labels(), request.POST or None, initial=initial)
    if request.method == "POST" and form is None:
        messages.info(request, _("This conflict was resolved already."))
        return redirect("sync:conflict", pk=conflict.pk)
    if request.method == "POST" and form.is_valid():
        button = request.POST.get("choice", "")
        if button not in Conflict.Resolution.values:
            form.add_error(None, _("Choose the point's values, the server's, or field by field."))
        else:
            choice, fields = form.decision(button)
            try:
                services.resolve(
                    conflict,
                    choice,
                    fields,
                    by=request.user,
                    version=form.cleaned_data["version"],
                    request=request,
                )
            except IntakeRefused as e:
                if getattr(e, "code", None) == "stale":  # show the current values again
                    messages.error(request, services.message_of(e))
                    return redirect("sync:conflict", pk=conflict.pk)
                form.add_error(None, services.message_of(e))
            else:
                messages.success(request, _("The conflict is resolved."))
                return redirect("sync:conflicts")
    rows = _rows(conflict)
    may_apply = services.may_resolve(request.user, conflict, Conflict.Resolution.POINT)
    if form is not None and may_apply:
        for row in rows:
            row["field"] = form[f"keep_{row['name']}"]
    context = {
        "conflict": conflict,
        "c": candidate,
        "rows": rows,
        "form": form,
        "may_apply": may_apply,
        "may_keep": services.may_resolve(request.user, conflict, Conflict.Resolution.SERVER),
    }
    return render(request, "sync/conflict.html", context)
