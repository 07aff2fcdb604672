from django.urls import path

from gaokao.office.submission import views

app_name = "submission"
urlpatterns = [
    path("", views.index, name="index"),
    path("submit/", views.submit, name="submit"),
    path("return/", views.return_down, name="return"),
]
