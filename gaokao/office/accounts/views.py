"""Accounts each office manages for the level below: create, enable all points, move to
another unit, disable, reset password or authenticator, and print credential slips (S1,
S2). Every change goes into the audit chain as a diff with who and why (issue 19): a
reason is required to move or disable an account."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts import services
from gaokao.accounts.models import Role, StaffUser
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.documents.slips import CredentialSlip, render_credential_slips
from gaokao.office.accounts.forms import (
    AccountChangeForm,
    AccountForm,
    ActionReasonForm,
    PointAccountRow,
)
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.web import one_time
from gaokao.web.access import offices_only, roles_required
from gaokao.web.reauth import reauth_required

ISSUED = "issued_credentials"


@offices_only
def account_list(request):
    accounts = services.managed_accounts(request.user).order_by("username")
    return render(request, "accounts/list.html", {"accounts": accounts})


@offices_only
def account_new(request):
    units = services.manageable_units(request.user)
    form = AccountForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.create_account(
                request.user,
                data["unit"],
                real_name=data["real_name"],
                id_number=data["id_number"],
                mobile=data["mobile"],
                request=request,
                reason=data["reason"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return _show_issued(request, [issued])
    return render(request, "accounts/new.html", {"form": form})


@offices_only
def account_edit(request, pk: int):
    """Move an account to another unit below, or correct its mobile number, with a reason."""
    account = get_visible_or_404(services.managed_accounts(request.user), request.user, pk=pk)
    units = services.manageable_units(request.user)
    form = AccountChangeForm(request.POST or None, account=account, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes = services.change_account(
                request.user,
                account,
                unit=data["unit"],
                mobile=data["mobile"],
                reason=data["reason"],
                request=request,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            if changes:
                messages.success(request, _("Saved: %(user)s.") % {"user": account.username})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("accounts:list")
    return render(request, "accounts/edit.html", {"form": form, "account": account})


@roles_required(Role.COUNTY)
def enable_points(request):
    """Every point of the county without an account, one row each, saved in one step."""
    with_account = services.managed_accounts(request.user).values_list("point", flat=True)
    points = [p for p in services.manageable_units(request.user) if p.pk not in set(with_account)]
    by_code = {p.code: p for p in points}
    Rows = formset_factory(PointAccountRow, extra=0)
    initial = [{"point": p.code} for p in points]
    formset = Rows(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        rows = [
            {**f.cleaned_data, "point": by_code[f.cleaned_data["point"]]}
            for f in formset
            if f.is_filled and f.cleaned_data["point"] in by_code
        ]
        if not rows:
            messages.warning(request, _("Fill in at least one row."))
        else:
            try:
                issued = services.enable_points(request.user, rows, request=request)
            except ValidationError as e:
                messages.error(request, " ".join(e.messages))
            else:
                return _show_issued(request, issued)
    rows = list(zip(points, formset, strict=True)) if points else []
    return render(request, "accounts/enable_points.html", {"formset": formset, "rows": rows})


# action: (what it does, whether it issues a password, whether a reason is required)
ACTIONS = {
    "disable": (
        lambda actor, account, request, reason: services.set_active(
            actor, account, False, request, reason
        ),
        False,
        True,
    ),
    "enable": (
        lambda actor, account, request, reason: services.set_active(
            actor, account, True, request, reason
        ),
        False,
        False,
    ),
    "reset-password": (services.reset_password, True, False),
    "reset-totp": (services.reset_totp, False, False),
}


@offices_only
@reauth_required(only=lambda request, pk, action: action in ("reset-password", "reset-totp"))
def account_action(request, pk: int, action: str):
    """GET asks for confirmation; POST does it."""
    if action not in ACTIONS:
        raise Http404
    account = get_visible_or_404(services.managed_accounts(request.user), request.user, pk=pk)
    do, issues_password, reason_required = ACTIONS[action]
    form = ActionReasonForm(
        request.POST if request.method == "POST" else None, required=reason_required
    )
    context = {"account": account, "action": action, "form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "accounts/confirm.html", context)
    try:
        result = do(request.user, account, request, form.cleaned_data["reason"])
    except ValidationError as e:
        form.add_error(None, e)
        return render(request, "accounts/confirm.html", context)
    if issues_password:
        return _show_issued(request, [result])
    messages.success(request, _("Done: %(user)s.") % {"user": account.username})
    return redirect("accounts:list")


def _show_issued(request, issued: list[services.IssuedCredential]):
    one_time.keep(request, ISSUED, [(i.user.pk, i.password) for i in issued])
    return redirect("accounts:issued")


def _issued(request) -> list[tuple[StaffUser, str]]:
    return one_time.load(request, ISSUED, services.managed_accounts(request.user))


@offices_only
def issued(request):
    return render(request, "accounts/issued.html", {"issued": _issued(request)})


@offices_only
def slips_pdf(request):
    issued = _issued(request)
    if not issued:
        messages.warning(
            request,
            _(
                "The initial passwords are no longer available."
                " Reset the password to print a new slip."
            ),
        )
        return redirect("accounts:list")

    office_url = request.build_absolute_uri(reverse("office:login"))
    slips = [
        CredentialSlip(
            unit=str(user.unit),
            username=user.username,
            password=password,
            office_url=office_url,
            role_label=user.get_role_display(),
            real_name=user.real_name,
        )
        for user, password in issued
    ]
    pdf = render_credential_slips(slips, title=_("Office web account slips"))
    record(Action.SLIPS_PRINTED, request=request, accounts=[u.username for u, _p in issued])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="slips.pdf"'
    return response


@offices_only
@require_POST
def issued_done(request):
    one_time.forget(request, ISSUED)
    messages.success(request, _("The initial passwords were removed from the screen."))
    return redirect("accounts:list")
