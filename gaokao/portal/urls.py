from django.urls import path

from gaokao.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.sign_in, name="login"),
    path("confirmation-password/", views.confirmation, name="confirmation"),
    path("status/", views.status, name="status"),
    path("proofreading/", views.proofreading, name="proofreading"),
    path("password/", views.password, name="password"),
    path("data/", views.data, name="data"),
    path("logout/", views.sign_out, name="logout"),
]
