from django.contrib.auth import views as auth_views
from django.urls import path

from gaokao.office import views

app_name = "office"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("units/", views.units, name="units"),
    path("units/regions/<str:code>/", views.region_detail, name="region"),
    path("units/points/<str:code>/", views.point_detail, name="point"),
    path("schedule/", views.schedule, name="schedule"),
]
