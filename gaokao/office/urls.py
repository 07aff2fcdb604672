from django.urls import path

from gaokao.office import views
from gaokao.office.accounts import auth_views

app_name = "office"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.sign_in, name="login"),
    path("login/code/", auth_views.second_factor, name="totp"),
    path("login/setup/", auth_views.setup, name="setup"),
    path("logout/", auth_views.sign_out, name="logout"),
    path("units/", views.units, name="units"),
    path("units/regions/<str:code>/", views.region_detail, name="region"),
    path("units/points/<str:code>/", views.point_detail, name="point"),
    path("schedule/", views.schedule, name="schedule"),
]
