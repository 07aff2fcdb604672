from django.urls import path

from gaokao.office.bundles import views

app_name = "bundles"
urlpatterns = [
    path("", views.import_bundle, name="import"),
    path("confirm/", views.confirm, name="confirm"),
]
