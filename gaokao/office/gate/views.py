"""The province's page for the pause, the admission limit and the portal's time slots
(E1, E3). The candidates' waiting page is gaokao.portal.waiting; the page every paused
request gets is gaokao.gate.middleware's.

Thin: each view parses the request and calls gaokao.gate.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.models import Role
from gaokao.gate import services
from gaokao.gate.models import Pause, Scope, TimeSlot
from gaokao.office.gate.forms import AdmissionForm, PauseForm, ResumeForm, SlotForm
from gaokao.web.access import roles_required
from gaokao.web.reauth import reauth_required

province_only = roles_required(Role.PROVINCE)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# ── the province's page ────────────────────────────────────────────────────────────────


def _index(request, *, pause_form=None, admission_form=None):
    cap = services.cap()
    # Read without the per-process cache: the province sees the state as it is.
    pauses = {p.scope: p for p in Pause.objects.select_related("by")}
    context = {
        "pauses": [(value, label, pauses.get(value)) for value, label in Scope.choices],
        "all_paused": len(pauses) == len(Scope.choices),
        "active": services.active_sessions(),
        "waiting": services.waiting(),
        "cap": cap,
        "pause_form": pause_form or PauseForm(),
        "admission_form": admission_form or AdmissionForm(initial={"cap": cap}),
        "slots": TimeSlot.objects.prefetch_related("regions"),
        "today": timezone.localdate(),
    }
    return render(request, "gate/index.html", context)


@province_only
def index(request):
    return _index(request)


@province_only
@require_POST
@reauth_required(back="gate:index")
def pause(request):
    form = PauseForm(request.POST)
    if form.is_valid():
        try:
            services.pause(
                form.cleaned_data["scope"], form.cleaned_data["message"], request=request
            )
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, _("Paused. Every app server obeys within seconds."))
            return redirect("gate:index")
    return _index(request, pause_form=form)


@province_only
@require_POST
@reauth_required(back="gate:index")
def resume(request):
    form = ResumeForm(request.POST)
    if form.is_valid() and services.resume(form.cleaned_data["scope"], request=request):
        messages.success(request, _("The pause is lifted."))
    else:
        messages.info(request, _("That was not paused."))
    return redirect("gate:index")


@province_only
@require_POST
def admission(request):
    form = AdmissionForm(request.POST)
    if form.is_valid():
        try:
            changed = services.set_cap(form.cleaned_data["cap"], request=request)
        except ValidationError as e:
            _add_errors(form, e)
        else:
            if changed:
                messages.success(request, _("The admission limit is saved."))
            return redirect("gate:index")
    return _index(request, admission_form=form)


def _slot_page(request, slot: TimeSlot | None):
    province = request.user.region
    form = SlotForm(request.POST or None, province=province, instance=slot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_slot(
                slot,
                name=data["name"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                starts=data["starts"],
                ends=data["ends"],
                region_ids=data["regions"],
                province=province,
                request=request,
            )
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, _("The time slot is saved."))
            return redirect("gate:index")
    return render(request, "gate/slot.html", {"form": form, "slot": slot})


@province_only
def slot_new(request):
    return _slot_page(request, None)


@province_only
def slot_edit(request, pk: int):
    return _slot_page(request, get_object_or_404(TimeSlot, pk=pk))


@province_only
@require_POST
def slot_delete(request, pk: int):
    slot = get_object_or_404(TimeSlot, pk=pk)
    services.delete_slot(slot, request=request)
    messages.success(request, _("The time slot “%(name)s” is deleted.") % {"name": slot.name})
    return redirect("gate:index")
