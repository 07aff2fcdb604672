"""Who is signed in to the portal: the candidate's id in the (server-side) session, kept
apart from staff sign-in, and forgotten after a spell without activity."""

import time
from functools import wraps

from django.shortcuts import redirect

from gaokao.candidates.models import Candidate
from gaokao.gate import services as gate
from gaokao.portal import services

KEY = "portal_candidate"
IDLE_SECONDS = 30 * 60


def start(request, candidate: Candidate) -> None:
    request.session.cycle_key()  # a new session key at sign-in: no fixation
    request.session[KEY] = {"id": str(candidate.pk), "seen": time.time()}
    services.signed_in(request, candidate)


def end(request) -> None:
    state = request.session.pop(KEY, None)
    if state:
        gate.free_seat(request, state["id"])  # E1: the next in line may have it


def current(request) -> Candidate | None:
    state = request.session.get(KEY)
    if not state:
        return None
    if time.time() - state["seen"] > IDLE_SECONDS:
        end(request)
        return None
    state["seen"] = time.time()
    request.session.modified = True
    candidate = (
        Candidate.objects.select_related("point__county__parent__parent", "season")
        .filter(pk=state["id"])
        .first()
    )
    if candidate is not None:
        gate.refresh_seat(request, candidate.pk)  # E1: the seat stays taken while active
    return candidate


def candidate_required(view):
    """The signed-in candidate as the view's second argument; the confirmation password
    must be set before anything else (O5)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        candidate = current(request)
        if candidate is None:
            return redirect("portal:login")
        if not candidate.confirmation_password and view.__name__ != "confirmation":
            return redirect("portal:confirmation")
        return view(request, candidate, *args, **kwargs)

    return wrapper
