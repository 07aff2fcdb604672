from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


def restrict_admin_to_province(site: AdminSite) -> None:
    """The Django admin holds the province's configuration (regions, codes, schedule):
    only active province accounts with staff status may enter it."""

    def has_permission(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and getattr(user, "role", None) == "province"

    site.has_permission = has_permission
    site.site_header = _("Gaokao registration — province configuration")
    site.site_title = _("Province configuration")
