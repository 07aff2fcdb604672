"""/pay/: where the gateways post their notifications. The namespace stays "payments"
(`payments:notify`): the URL is registered with the gateways."""

from django.urls import path

from gaokao.notify import views

app_name = "payments"
urlpatterns = [
    path("notify/<str:channel>/", views.notify, name="notify"),
]
