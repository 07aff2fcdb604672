from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdcardConfig(AppConfig):
    name = "gaokao.idcard"
    verbose_name = _("ID-card reader")
