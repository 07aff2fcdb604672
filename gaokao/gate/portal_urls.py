from django.urls import path

from gaokao.gate import views

app_name = "gate-portal"
urlpatterns = [path("", views.wait, name="wait")]
