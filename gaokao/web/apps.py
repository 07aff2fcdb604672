from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gaokao.web"
    verbose_name = "Web kit"

    def ready(self):
        from gaokao.web import reauth  # noqa: F401  (a sign-in counts as re-authentication)
