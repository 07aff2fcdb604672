"""The Django admin (后台配置): the province's configuration screens, one module per app
whose models it shows, and the rule that only province accounts enter.

Django's autodiscovery imports `<app>.admin` modules only, and the apps hold none: importing
this package registers every ModelAdmin on `django.contrib.admin.site`. `gaokao.urls`
imports it before it mounts the admin."""

from gaokao.admin import (  # noqa: F401
    accounts,
    codes,
    incidents,
    notices,
    payments,
    professional,
    regions,
    seasons,
)
from gaokao.admin.site import restrict_admin_to_province

__all__ = ["restrict_admin_to_province"]
