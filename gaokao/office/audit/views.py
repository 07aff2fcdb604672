import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.verify import chain_problems
from gaokao.web.forms import StyledForm


class AuditFilter(StyledForm):
    user = forms.CharField(label=_("User name"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *Action.choices]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


@login_required
def events(request):
    """The audit trail of the user's jurisdiction, newest first."""
    form = AuditFilter(request.GET or None)
    qs = AuditEvent.objects.visible_to(request.user).select_related("region", "point")
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            qs = qs.filter(actor_label__icontains=data["user"].strip())
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["since"]:
            qs = qs.filter(at__gte=day_bounds(data["since"])[0])
        if data["until"]:
            qs = qs.filter(at__lt=day_bounds(data["until"])[1])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    problems = None
    if request.GET.get("verify"):
        # On demand only: the chains of the events shown, all of them the user's units'.
        problems = chain_problems({event.chain for event in page})
        for event in page:
            event.chain_intact = bool(event.chain) and not problems.get(event.chain)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "problems": problems,
        "problems_found": [p for found in (problems or {}).values() for p in found],
    }
    return render(request, "audit/events.html", context)
