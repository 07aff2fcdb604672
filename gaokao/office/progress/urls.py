from django.urls import path

from gaokao.office.progress import views

app_name = "progress"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("candidates/", views.drill_down, name="list"),
]
