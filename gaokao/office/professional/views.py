"""The office web's view of professional exams (专业考试, O6): per region and category, who is
registered (paid), who chose but has not paid, who ended unpaid, and the money; the list
of registered candidates for the exam organisers; payments flagged for a person. And the
province's page of the season's categories (专业考试类别): their fees, names, order, items
and tracks, offered or not, every change audited (issue 19)."""

import csv

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gaokao.accounts.models import Role
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.office.professional.forms import CategoryForm, NewCategoryForm
from gaokao.payments.models import PaymentOrder, yuan
from gaokao.payments.services import ORDER_LIFETIME
from gaokao.professional import config as categories
from gaokao.professional.models import Category, Registration
from gaokao.seasons import NoCurrentSeason, current
from gaokao.web.access import offices_only, roles_required
from gaokao.web.reauth import reauth_required

# The unit one level below the user, by role (a point sees itself).
GROUP_BY = {
    "province": "candidate__point__county__parent__name",
    "city": "candidate__point__county__name",
    "county": "candidate__point__name",
    "point": "candidate__point__name",
}
Status = Registration.Status


def _registrations(user):
    registrations = Registration.objects.visible_to(user)
    try:
        return registrations.filter(candidate__season=current())
    except NoCurrentSeason:  # between seasons the report is empty
        return registrations.none()


@roles_required("province", "city", "county", "point")
def report(request):
    group = GROUP_BY[request.user.role]
    counts = (
        _registrations(request.user)
        .values(group, "category__name", "category__sort_order")
        .annotate(
            paid=Count("pk", filter=Q(status=Status.PAID)),
            unpaid=Count("pk", filter=Q(status=Status.UNPAID)),
            lapsed=Count("pk", filter=Q(status=Status.LAPSED)),
        )
        .order_by(group, "category__sort_order")
    )
    paid_orders = PaymentOrder.objects.filter(
        state=PaymentOrder.State.PAID, registration__in=_registrations(request.user)
    )
    amounts = {
        (unit, category): total
        for unit, category, total in paid_orders.values_list(
            f"registration__{group}", "registration__category__name"
        ).annotate(total=Sum("amount_fen"))
    }
    rows = [
        {
            "unit": row[group],
            "category": row["category__name"],
            "paid": row["paid"],
            "unpaid": row["unpaid"],
            "lapsed": row["lapsed"],
            "amount": yuan(amounts.get((row[group], row["category__name"])) or 0),
        }
        for row in counts
    ]
    flagged = (
        PaymentOrder.objects.visible_to(request.user)
        .filter(needs_review=True)
        .select_related("registration__candidate", "registration__category")
    )
    return render(request, "payments/report.html", {"rows": rows, "flagged": flagged})


@offices_only
@reauth_required(back="payments-office:report")
def export(request):
    """The registered (paid) candidates, as CSV for the exam organisers."""
    registrations = (
        _registrations(request.user)
        .filter(status=Status.PAID)
        .select_related("candidate__point", "category")
        .order_by("category__sort_order", "candidate__registration_number")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="professional-{stamp}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Registration number"),
            _("Full name"),
            _("ID number"),
            _("Category"),
            _("Main item"),
            _("Secondary item"),
            _("Mobile phone during the exams"),
            _("Registration point"),
            _("Paid at"),
        ]
    )
    count = 0
    for r in registrations.iterator():
        c = r.candidate
        writer.writerow(
            [
                c.registration_number,
                c.name,
                c.id_number,
                r.category.name,
                r.main_item,
                r.secondary_item,
                r.exam_phone,
                str(c.point),
                timezone.localtime(r.paid_at).strftime("%Y-%m-%d %H:%M") if r.paid_at else "",
            ]
        )
        count += 1
    record(Action.PROFESSIONAL_EXPORTED, request=request, rows=count)
    return response


# ── 专业考试类别: the province configures the categories (issue 19) ─────────────────────


def _own_season(request):
    """The current season if it is the signed-in province's, else None."""
    try:
        season = current()
    except NoCurrentSeason:
        return None
    return season if categories.may_edit(request.user, season) else None


@roles_required(Role.PROVINCE)
@require_http_methods(["GET", "POST"])
def category_list(request):
    """The current season's categories with their fee and registrations, and a form to add
    one: a refusal shows it again as typed. Thin: the rules are in
    gaokao.professional.config."""
    season = _own_season(request)
    if season is None:  # the page says so itself
        return render(request, "payments/categories.html", {"season": None})
    form = NewCategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = categories.add_category(
                season,
                code=data["code"],
                kind=data["kind"],
                reason=data["reason"],
                by=request.user,
                request=request,
                **form.values(),
            )
        except categories.CategoryRefused as e:
            _show(form, e)
        else:
            messages.success(request, _("Category %(name)s is added.") % {"name": added})
            return redirect("payments-office:categories")
    context = {"season": season, "rows": categories.category_rows(season), "form": form}
    return render(request, "payments/categories.html", context)


@roles_required(Role.PROVINCE)
@require_http_methods(["GET", "POST"])
def category(request, pk: int):
    """One category: its values, and deleting one no registration holds."""
    season = _own_season(request)
    found = Category.objects.filter(pk=pk, season=season).select_related("season").first()
    if season is None or found is None:
        raise Http404
    form = CategoryForm(request.POST or None, category=found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kw = {"reason": data["reason"], "by": request.user, "request": request}
        try:
            if data["action"] == CategoryForm.DELETE:
                categories.delete_category(found, **kw)
                messages.success(request, _("Category %(name)s is deleted.") % {"name": found})
                return redirect("payments-office:categories")
            diff = categories.change_category(found, **form.values(), **kw)
        except categories.CategoryRefused as e:
            _show(form, e)
        else:
            if diff:
                messages.success(request, _("Category %(name)s is saved.") % {"name": found})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("payments-office:categories")
    context = {
        "season": season,
        "category": found,
        "usage": categories.usage(found),
        "order_minutes": int(ORDER_LIFETIME.total_seconds() // 60),
        "form": form,
    }
    return render(request, "payments/category.html", context)


def _show(form, refused) -> None:
    """The service's refusal on the form: by field where the form has it (the fee is
    `fee_fen` to the service), else above the form."""
    for field, errors in refused.message_dict.items():
        field = {"fee_fen": "fee"}.get(field, field)
        form.add_error(field if field in form.fields else None, errors)
