"""The office web's view of professional exams (专业考试, O6): per region and category, who is
registered (paid), who chose but has not paid, who ended unpaid, and the money; the list
of registered candidates for the exam organisers; payments flagged for a person."""

import csv

from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.payments.models import PaymentOrder, yuan
from gaokao.professional.models import Registration
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
