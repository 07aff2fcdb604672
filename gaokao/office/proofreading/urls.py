from django.urls import path

from gaokao.office.proofreading import views

app_name = "proofreading"
urlpatterns = [
    path("", views.batch, name="batch"),
    path("print/", views.batch_print, name="print"),
    path("<uuid:pk>/", views.candidate, name="candidate"),
    path("<uuid:pk>/signature/", views.signature, name="signature"),
    path("<uuid:pk>/phone/", views.phone, name="phone"),
    path("<uuid:pk>/identity/", views.identity, name="identity"),
    path("<uuid:pk>/sheet.pdf", views.sheet, name="sheet"),
    path("<uuid:pk>/form.pdf", views.form, name="form"),
]
