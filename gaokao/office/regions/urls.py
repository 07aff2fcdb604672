from django.urls import path

from gaokao.office.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/<slug:level>/", views.region_new, name="new"),
    path("points/new/", views.point_new, name="point_new"),
    path("points/<str:code>/", views.point_edit, name="point_edit"),
    path("points/<str:code>/delete/", views.point_delete, name="point_delete"),
    path("<str:code>/", views.region_edit, name="edit"),
    path("<str:code>/delete/", views.region_delete, name="delete"),
    path("<str:code>/points/", views.points, name="points"),
]
