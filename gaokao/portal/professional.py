"""The candidate's professional exams (专业考试, S6, O6) in the portal: choose categories, pay
each, see where each payment stands. Only the session's candidate is ever read or written.
The rules are gaokao.professional's (choosing) and gaokao.payments' (orders)."""

import contextlib

import segno
from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gaokao.audit.services import client_ip
from gaokao.payments import config
from gaokao.payments import services as payments
from gaokao.payments.gateways.base import GatewayError
from gaokao.payments.models import Channel, PaymentOrder
from gaokao.portal import session
from gaokao.professional import services
from gaokao.professional.models import Category, Registration
from gaokao.web.forms import StyledForm


class CategoryChoiceForm(StyledForm):
    """One category's choice: its items (if it has them), the phone for the exam period,
    and the confirmation password (O5). The service checks everything again."""

    main_item = forms.ChoiceField(label=gettext_lazy("Main item"), required=False)
    secondary_item = forms.ChoiceField(label=gettext_lazy("Secondary item"), required=False)
    exam_phone = forms.CharField(
        label=gettext_lazy("Mobile phone during the exams"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    confirmation_password = forms.CharField(
        label=gettext_lazy("Confirmation password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, category: Category, *args, registration: Registration | None = None, **kw):
        if registration is not None:
            kw.setdefault(
                "initial",
                {
                    "main_item": registration.main_item,
                    "secondary_item": registration.secondary_item,
                    "exam_phone": registration.exam_phone,
                },
            )
        super().__init__(*args, prefix=category.code, **kw)
        for name, items in (
            ("main_item", category.main_items),
            ("secondary_item", category.secondary_items),
        ):
            if items:
                self.fields[name].choices = [("", "—"), *((i, i) for i in items)]
                self.fields[name].required = True
            else:
                del self.fields[name]

    @property
    def cleaned_choice(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("main_item", "")
        data.setdefault("secondary_item", "")
        return data


def _refused(request, e: payments.PaymentRefused) -> None:
    for message in e.messages:
        messages.error(request, message)


@session.candidate_required
def professional(request, candidate):
    registrations = {
        r.category_id: r for r in candidate.professional_registrations.select_related("category")
    }
    open_now = services.window_open(candidate)
    posted = request.POST.get("category") if request.method == "POST" else None
    cards = []
    for category in services.categories_for(candidate):
        registration = registrations.get(category.pk)
        bound = posted == category.code and open_now
        form = CategoryChoiceForm(
            category, request.POST if bound else None, registration=registration
        )
        if bound and form.is_valid():
            try:
                services.choose(candidate, category, **form.cleaned_choice, request=request)
            except payments.PaymentRefused as e:
                if hasattr(e, "error_dict"):
                    for field, errors in e.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, e.messages)
            else:
                messages.success(
                    request,
                    _("%(category)s is chosen. Pay its fee to register.")
                    % {"category": category.name},
                )
                return redirect("portal:professional")
        cards.append((category, registration, form))
    context = {
        "c": candidate,
        "cards": cards,
        "open_now": open_now,
        "ends_at": services.window_end(candidate),
        "channels": [(c, Channel(c).label) for c in config.channels()],
    }
    return render(request, "payments/professional.html", context)


def _own_registration(candidate, code):
    return get_object_or_404(
        candidate.professional_registrations.select_related("category"), category__code=code
    )


def _absolute(request, path: str) -> str:
    """Gateways reach us at the configured public address (behind the proxy)."""
    base = config.public_url()
    return base + path if base else request.build_absolute_uri(path)


@require_POST
@session.candidate_required
def pay(request, candidate, code):
    registration = _own_registration(candidate, code)
    channel = request.POST.get("channel", "")
    if channel not in config.channels():
        messages.error(request, _("This payment channel is not available."))
        return redirect("portal:professional")
    try:
        order = payments.start_payment(
            registration,
            channel,
            notify_url=_absolute(request, reverse("payments:notify", args=[channel])),
            return_url=_absolute(request, reverse("portal:paid", args=[code])),
            scene="mobile" if "Mobile" in request.headers.get("User-Agent", "") else "pc",
            client_ip=client_ip(request) or "127.0.0.1",
            request=request,
        )
    except payments.PaymentRefused as e:
        _refused(request, e)
        return redirect("portal:professional")
    return redirect("portal:order", order.out_trade_no)


@session.candidate_required
def paid(request, candidate, code):
    """Where the gateway sends the browser back: the category's latest order."""
    latest = _own_registration(candidate, code).orders.order_by("-created_at").first()
    if latest is None:
        return redirect("portal:professional")
    return redirect("portal:order", latest.out_trade_no)


@require_POST
@session.candidate_required
def withdraw(request, candidate, code):
    registration = _own_registration(candidate, code)
    try:
        services.withdraw(registration, request=request)
    except payments.PaymentRefused as e:
        _refused(request, e)
    except GatewayError:
        messages.error(
            request, _("The payment service cannot be reached just now. Please try again shortly.")
        )
    else:
        messages.success(
            request, _("%(category)s is withdrawn.") % {"category": registration.category.name}
        )
    return redirect("portal:professional")


@session.candidate_required
def order(request, candidate, out_trade_no):
    """Where a payment stands; while it waits, the gateway is asked (so a missing
    notification does not leave the candidate in doubt)."""
    order = (
        PaymentOrder.objects.filter(out_trade_no=out_trade_no, registration__candidate=candidate)
        .select_related("registration__category")
        .first()
    )
    if order is None:
        raise Http404
    with contextlib.suppress(GatewayError):  # shown as waiting; the page asks again
        order = payments.refresh(order)
    qr = (
        segno.make(order.pay_content, error="m").svg_inline(scale=5)
        if order.pay_kind == "qr"
        else ""
    )
    context = {"c": candidate, "order": order, "qr": qr}
    return render(request, "payments/order.html", context)
