from django.urls import path

from gaokao.office.results import views

app_name = "results"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("confirm/", views.confirm, name="confirm"),
    path("template/<slug:kind>.csv", views.template, name="template"),
    path("candidate/<uuid:pk>/", views.candidate, name="candidate"),
]
