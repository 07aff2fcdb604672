"""The office web's navigation: one list, filtered by the signed-in user's role and by
the installation: the point client leaves out the server's pages, the server the client's
(gaokao.web.modes, issue 20).

Later work adds its pages here with the roles that may use them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gaokao.incidents.services import open_count
from gaokao.notices.services import unread_count
from gaokao.web.modes import listed

ALL_ROLES = frozenset({"province", "city", "county", "point"})
OFFICES = frozenset({"province", "city", "county"})


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] = ALL_ROLES
    badge: Callable | None = None  # a count shown beside the label, e.g. unread notices


NAVIGATION = [
    NavItem(_("Home"), "office:home"),
    NavItem(_("Units"), "office:units", OFFICES),
    NavItem(_("Schedule"), "office:schedule"),
    NavItem(_("Candidates"), "candidates:list"),
    NavItem(_("Identity reviews"), "candidates:reviews", frozenset({"county", "city"})),
    NavItem(_("Number ranges"), "numbering:ranges", frozenset({"county"})),
    NavItem(_("Proofreading"), "proofreading:batch", frozenset({"point", "county"})),
    NavItem(_("Comments"), "comments:batch", frozenset({"point", "county"})),
    NavItem(_("Submission"), "submission:index"),
    NavItem(_("Registration progress"), "progress:dashboard"),
    NavItem(_("Professional exams"), "payments-office:report"),
    NavItem(_("Import results"), "results:imports", frozenset({"province", "city"})),
    NavItem(_("Exports"), "exports:index", frozenset({"province", "city"})),
    NavItem(_("Point clients"), "sync:devices", frozenset({"point", "county"})),
    NavItem(_("Waiting to sync"), "client:outbox", frozenset({"point"})),
    NavItem(_("Sync conflicts"), "sync:conflicts", frozenset({"point", "county"})),
    NavItem(_("Import a disc bundle"), "bundles:import", frozenset({"county"})),
    NavItem(_("Incidents"), "incidents:list", badge=open_count),
    NavItem(_("Notices"), "notices:list", badge=unread_count),
    NavItem(_("Accounts"), "accounts:list", OFFICES),
    NavItem(_("Regions and points"), "regions:index", OFFICES),
    NavItem(_("Audit trail"), "audit:events"),
    NavItem(_("Phases and dates"), "seasons:phases", frozenset({"province"})),
    NavItem(_("Extensions"), "seasons:extensions", frozenset({"province"})),
    NavItem(_("Registration fees"), "seasons:fees", frozenset({"province"})),
    NavItem(
        _("Professional exam categories"), "payments-office:categories", frozenset({"province"})
    ),
    NavItem(_("Code tables"), "codes:tables", frozenset({"province"})),
    NavItem(_("Pause and access"), "gate:index", frozenset({"province"})),
    NavItem(_("System status"), "ops:status", frozenset({"province"})),
]


def items_for(user) -> list[dict]:
    role = getattr(user, "role", None)
    return [
        {"label": i.label, "url": reverse(i.url_name), "badge": i.badge(user) if i.badge else 0}
        for i in NAVIGATION
        if role in i.roles and listed(i.url_name)
    ]


def context(request) -> dict:
    """Template context processor: the navigation of the signed-in staff user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    return {"navigation": items_for(user)}
