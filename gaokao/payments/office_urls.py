from django.urls import path

from gaokao.payments import office_views

app_name = "payments-office"
urlpatterns = [
    path("", office_views.report, name="report"),
    path("export.csv", office_views.export, name="export"),
]
