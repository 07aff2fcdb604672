"""No copy of a response in any cache: every page, PDF, spreadsheet, photo and API answer
may carry a candidate's personal data (ID numbers, photos, initial passwords), and a shared
point PC or a proxy on the way must not keep it. One place sets the header for all of them;
only our static files (CSS, scripts, fonts: no personal data) stay cacheable."""

from django.conf import settings

NO_STORE = "no-store, private"


class NoStoreMiddleware:
    """Sets `Cache-Control: no-store, private` on every response but the static files.
    Place it above WhiteNoise, so that it sees the static files' responses and leaves them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = NO_STORE
        return response
