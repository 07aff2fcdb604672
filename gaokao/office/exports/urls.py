from django.urls import path

from gaokao.office.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.index, name="index"),
    path("candidates.csv", views.candidates_csv, name="csv"),
    path("candidates.xlsx", views.candidates_xlsx, name="xlsx"),
    path("photos.zip", views.photos_zip, name="photos"),
]
