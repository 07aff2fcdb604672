from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProofreadingConfig(AppConfig):
    name = "gaokao.proofreading"
    verbose_name = _("Proofreading")
