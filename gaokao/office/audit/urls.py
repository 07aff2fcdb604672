from django.urls import path

from gaokao.office.audit import views

app_name = "audit"
urlpatterns = [path("", views.events, name="events")]
