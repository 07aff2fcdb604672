"""Which pages each installation serves: the central server (GAOKAO_MODE=server) and the
point client (客户版, GAOKAO_MODE=client) run the same office web, but some of its pages
only make sense on one of them (issue 20).

On the point client the province's, city's and county's screens and the server's view of
the point clients (报名点客户端, 同步冲突, disc bundle import, number ranges, accounts, the
notice board's posting, /admin/) would show empty or wrong content: the local database
holds one point's candidates and no other unit. Such a page is left out of the navigation
(`gaokao.office.navigation`) and its URL answers with a page that says where it lives and
what to do instead (`ModeMiddleware`), never with a bare error. On the server the client's
own outbox (待同步) is always empty: it is left out of the server's navigation.

Pages are named by their URL name ("namespace:name") or by a whole namespace.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

SERVER = "server"
CLIENT = "client"

# Served by the central server only: whole namespaces, and single pages.
SERVER_ONLY_NAMESPACES = frozenset(
    {
        "sync",  # 报名点客户端 and 同步冲突: the server's view of the point clients
        "bundles",  # the county imports disc bundles
        "numbering",  # the county plans the points' number ranges
        "exports",
        "results",
        "gate",
        "seasons",  # extensions and the fee table
        "codes",  # the code tables
        "ops",
        "admin",  # the province's configuration
    }
)
SERVER_ONLY_PAGES = frozenset(
    {
        "office:units",
        "office:region",
        "accounts:list",
        "accounts:new",
        "accounts:enable_points",
        "accounts:issued",
        "accounts:slips",
        "accounts:issued_done",
        "accounts:action",
        "candidates:reviews",  # the county's and city's identity reviews
        "candidates:resubmit_review",  # the review state is the centre's (pulled, never pushed)
        "candidates:waive_card",  # the city's decision (O3)
        "notices:new",  # the notice board is fed from the server
        "notices:withdraw",
        "payments-office:categories",  # the province's professional exam categories
        "payments-office:category",
    }
)
# The point client's own pages: left out of the server's navigation (on the server they
# are always empty), but still answered, as every installation has the client's tables.
CLIENT_PAGES = frozenset({"client:outbox", "client:resolve", "client:dismiss"})


def mode() -> str:
    return getattr(settings, "GAOKAO_MODE", SERVER)


def served(view_name: str) -> bool:
    """Whether this installation serves the page named `view_name` ("namespace:name"):
    the point client does not serve the server's pages."""
    if mode() != CLIENT:
        return True
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    return namespace not in SERVER_ONLY_NAMESPACES and view_name not in SERVER_ONLY_PAGES


def listed(view_name: str) -> bool:
    """Whether the page belongs in this installation's navigation."""
    if mode() != CLIENT and view_name in CLIENT_PAGES:
        return False
    return served(view_name)


def not_here(request):
    """The page a server-only URL answers with on the point client (404: nothing is
    here), saying where the page is and what to do."""
    context = {
        "title": _("This page is on the central server"),
        "explanation": _(
            "This is the point client: it holds only this registration point's candidates,"
            " so the pages of the offices above the point, and the server's view of the"
            " point clients, are not here. Sign in to the central office web for them, or"
            " ask the county office."
        ),
    }
    return render(request, "web/not_here.html", context, status=404)


class ModeMiddleware:
    """Answers the pages this installation does not serve (settings.MIDDLEWARE, after
    authentication) with `not_here`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is None or served(match.view_name):
            return None
        return not_here(request)
