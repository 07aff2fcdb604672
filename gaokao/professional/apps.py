from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfessionalConfig(AppConfig):
    name = "gaokao.professional"
    verbose_name = _("Professional exams")

    def ready(self):
        # A registration is something payments can take money for: payments learns the
        # rules (price, deadline, what paid means) here, without importing this app.
        from gaokao.payments import payables
        from gaokao.professional.models import Registration
        from gaokao.professional.services import RegistrationPayable

        payables.register(Registration, RegistrationPayable())
