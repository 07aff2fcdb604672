from gaokao.gate import services
from gaokao.gate.views import paused


class GateMiddleware:
    """The pause switch (E3) in front of every page: a paused part of the site answers 503
    with the province's message. Runs after authentication, so the province's own staff
    pass; what never pauses (payment notifications, probes, the office sign-in) is
    decided by `services.scope_of` before the database is asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pause = services.pause_for(request)
        if pause is not None:
            return paused(request, pause)
        return self.get_response(request)
