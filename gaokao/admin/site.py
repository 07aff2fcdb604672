"""Who may enter the admin: active province accounts with staff status, signed in at the
office web."""

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def restrict_admin_to_province(site: AdminSite) -> None:
    """The Django admin holds the province's configuration (regions, codes, schedule):
    only active province accounts with staff status may enter it."""

    def has_permission(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and getattr(user, "role", None) == "province"

    def login(request, extra_context=None):
        # The admin's own login form checks the password only: no authenticator code, no
        # real-name authentication, no throttling. Everyone signs in at the office web.
        return redirect_to_login(request.GET.get("next") or reverse(f"{site.name}:index"))

    site.has_permission = has_permission
    site.login = login
    site.site_header = _("Gaokao registration — province configuration")
    site.site_title = _("Province configuration")
