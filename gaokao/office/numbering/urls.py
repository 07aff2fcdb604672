from django.urls import path

from gaokao.office.numbering import views

app_name = "numbering"
urlpatterns = [
    path("", views.ranges, name="ranges"),
    path("plan/", views.plan, name="plan"),
    path("add/", views.add, name="add"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
