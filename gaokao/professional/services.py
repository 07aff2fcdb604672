"""Professional exams (专业考试, S6 professional part, O6, R2.2): choosing categories, and what
a registration means to payments.

The rules, in one place:
- A candidate of a matching subject track chooses categories while the professional window
  is open for their county (extensions included); each choice is confirmed with the
  confirmation password (O5).
- A category is registered only when a payment for it succeeded. Paid categories cannot be
  changed or withdrawn; nothing is refunded (O6).
- A registration is paid through gaokao.payments (one order per attempt, verified gateway
  messages): RegistrationPayable tells payments its price, its deadline (no order lives past
  the window's end) and what "paid" means here.
"""

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.confirmation import check_confirmation
from gaokao.candidates.errors import ConfirmationRefused
from gaokao.candidates.history import label as audit_label
from gaokao.candidates.models import Candidate
from gaokao.lib.text import clean_text
from gaokao.payments.models import PaymentOrder
from gaokao.payments.payables import Payer, Terms
from gaokao.payments.services import PaymentRefused, close_order
from gaokao.professional.models import Category, Registration
from gaokao.seasons.models import PhaseKind

_PHONE = re.compile(r"1[3-9][0-9]{9}")


class ProfessionalRefused(PaymentRefused):
    """A refusal of a choice or of its payment (window closed, already paid, …), shown to
    the candidate as it is. A PaymentRefused: the portal shows both alike."""


def label(candidate: Candidate) -> str:
    return audit_label(candidate.registration_number)


# ── what a candidate may do ───────────────────────────────────────────────────────────


def window_open(candidate: Candidate, at: dt.datetime | None = None) -> bool:
    return candidate.season.is_open(PhaseKind.PROFESSIONAL, candidate.point.county, at)


def window_end(candidate: Candidate) -> dt.datetime | None:
    phase = candidate.season.phases.filter(kind=PhaseKind.PROFESSIONAL).first()
    return phase.ends_at_for(candidate.point.county) if phase else None


def categories_for(candidate: Candidate) -> list[Category]:
    """The categories this candidate's subject track may register for (priced ones only:
    a category without a fee is not offered yet)."""
    offered = Category.objects.filter(season=candidate.season, is_active=True, fee_fen__gt=0)
    return [c for c in offered if candidate.subject_track in c.tracks]


def _require_open(candidate: Candidate, at: dt.datetime | None) -> None:
    if not window_open(candidate, at):
        raise ProfessionalRefused(
            _("Professional exam registration is closed: nothing can be added, changed or paid."),
            code="window_closed",
        )


def choose(
    candidate: Candidate,
    category: Category,
    *,
    main_item: str,
    secondary_item: str,
    exam_phone: str,
    confirmation_password: str,
    request=None,
    at: dt.datetime | None = None,
) -> Registration:
    """Choose a category, or change the items and phone of a chosen, unpaid one."""
    _require_open(candidate, at)
    if category not in categories_for(candidate):
        raise ProfessionalRefused(
            _("Your subject track cannot register for %(category)s.") % {"category": category},
            code="not_offered",
        )
    main_item, secondary_item = clean_text(main_item), clean_text(secondary_item)
    exam_phone = clean_text(exam_phone)
    errors = {}
    for name, value, items in (
        ("main_item", main_item, category.main_items),
        ("secondary_item", secondary_item, category.secondary_items),
    ):
        if items and value not in items:
            errors[name] = [_("Choose one of the items offered.")]
        elif not items and value:
            errors[name] = [_("This category has no such item.")]
    if not _PHONE.fullmatch(exam_phone):
        errors["exam_phone"] = [_("Enter a mainland mobile number: 11 digits from 13–19.")]
    if errors:
        raise ProfessionalRefused(errors)
    try:
        check_confirmation(candidate, confirmation_password, request)
    except ConfirmationRefused as e:
        raise ProfessionalRefused(e.messages[0], code=e.code) from e
    with transaction.atomic():
        registration, created = Registration.objects.select_for_update().get_or_create(
            candidate=candidate,
            category=category,
            defaults={
                "main_item": main_item,
                "secondary_item": secondary_item,
                "exam_phone": exam_phone,
            },
        )
        if not created:
            if registration.status == Registration.Status.PAID:
                raise ProfessionalRefused(
                    _("%(category)s is paid: it can no longer be changed.")
                    % {"category": category},
                    code="paid",
                )
            registration.main_item, registration.secondary_item = main_item, secondary_item
            registration.exam_phone = exam_phone
            registration.status = Registration.Status.UNPAID
            registration.save()
        record(
            Action.PROFESSIONAL_CHOSEN,
            request=request,
            unit=candidate.point,
            target=candidate,
            label=label(candidate),
            category=category.name,
            main_item=main_item,
            secondary_item=secondary_item,
        )
    return registration


def withdraw(registration: Registration, *, request=None, at: dt.datetime | None = None) -> None:
    """Withdraw an unpaid choice. Its open orders are closed first; one that turns out to
    be paid makes the category registered instead."""
    candidate = registration.candidate
    _require_open(candidate, at)
    for order in registration.orders.filter(state=PaymentOrder.State.CREATED):
        close_order(order, at)
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Registration.Status.PAID:
            raise ProfessionalRefused(
                _("%(category)s is paid: it can no longer be withdrawn.")
                % {"category": registration.category},
                code="paid",
            )
        if registration.orders.exists():
            registration.status = Registration.Status.LAPSED
            registration.save(update_fields=["status", "updated_at"])
        else:
            registration.delete()
        record(
            Action.PROFESSIONAL_WITHDRAWN,
            request=request,
            unit=candidate.point,
            target=candidate,
            label=label(candidate),
            category=registration.category.name,
        )


# ── what a registration is to payments ────────────────────────────────────────────────


class RegistrationPayable:
    """A registration as payments sees it (registered in ProfessionalConfig.ready)."""

    def terms(self, registration: Registration, now: dt.datetime) -> Terms:
        candidate = registration.candidate
        _require_open(candidate, now)
        if registration.status == Registration.Status.PAID:
            raise ProfessionalRefused(_("This category is already paid."), code="paid")
        if registration.status == Registration.Status.LAPSED:
            raise ProfessionalRefused(_("Choose the category again before paying."), code="lapsed")
        category = registration.category
        if not category.is_active or category.fee_fen <= 0:
            # No longer offered (the province's 专业考试类别 screen): nothing more is paid for it.
            raise ProfessionalRefused(
                _("%(category)s is no longer offered; it cannot be paid for.")
                % {"category": category.name},
                code="not_offered",
            )
        return Terms(
            amount_fen=category.fee_fen,
            description=f"{candidate.season.year}年普通高考{category.name}专业考试报名费",
            pay_by=window_end(candidate),
        )

    def payer(self, registration: Registration) -> Payer:
        candidate = registration.candidate
        return Payer(
            unit=candidate.point,
            target=candidate,
            label=label(candidate),
            details={"category": registration.category.name},
        )

    def paid(self, registration: Registration, order: PaymentOrder) -> None:
        registration.status, registration.paid_at = Registration.Status.PAID, order.paid_at
        registration.save(update_fields=["status", "paid_at", "updated_at"])

    def expire(self, now: dt.datetime) -> int:
        """Unpaid choices whose window has closed end unpaid (once no order is open)."""
        lapsed = 0
        unpaid = Registration.objects.filter(status=Registration.Status.UNPAID).select_related(
            "candidate__season", "candidate__point__county"
        )
        for registration in unpaid.iterator():
            end = window_end(registration.candidate)
            if end is None or end >= now:
                continue
            if registration.orders.filter(state=PaymentOrder.State.CREATED).exists():
                continue  # not yet closed (gateway unreachable): next run
            with transaction.atomic():
                lapsed += Registration.objects.filter(
                    pk=registration.pk, status=Registration.Status.UNPAID
                ).update(status=Registration.Status.LAPSED)
        if lapsed:
            record(Action.REGISTRATIONS_LAPSED, label="gaokao payments expire", count=lapsed)
        return lapsed
