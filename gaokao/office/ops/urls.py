from django.urls import path

from gaokao.office.ops import views

app_name = "ops"

urlpatterns = [path("", views.status, name="status")]
