"""The candidates' waiting page (排队等候, E1) at /ks/wait/: where a candidate whose
password was right waits for a place under the province's admission limit. The queue
itself is gaokao.gate.services; this page only polls it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from gaokao.gate import services
from gaokao.portal import session


def wait(request):
    """/ks/wait/: reloads itself every few seconds; each load is a poll that keeps the
    place in the queue and lets the candidate in when their turn comes."""
    if session.current(request) is not None:
        return redirect("portal:status")
    outcome = services.poll(request)
    if outcome is None:
        return redirect("portal:login")
    if outcome.candidate is not None:
        session.start(request, outcome.candidate)
        return redirect("portal:status")
    if outcome.lapsed:
        messages.info(
            request,
            _(
                "Your place in the queue has lapsed (the waiting page was closed or lost "
                "its connection). Please sign in again."
            ),
        )
        return redirect("portal:login")
    response = render(
        request, "gate/wait.html", {"wait": outcome, "poll_seconds": services.POLL_SECONDS}
    )
    response["Refresh"] = str(services.POLL_SECONDS)
    return response


app_name = "gate-portal"
urlpatterns = [path("", wait, name="wait")]
