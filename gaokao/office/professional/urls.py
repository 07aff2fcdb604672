"""The office's professional exam pages (/office/professional/)."""

from django.urls import path

from gaokao.office.professional import views

app_name = "payments-office"
urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export, name="export"),
    path("categories/", views.category_list, name="categories"),
    path("categories/<int:pk>/", views.category, name="category"),
]
