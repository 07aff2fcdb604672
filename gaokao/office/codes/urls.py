from django.urls import path

from gaokao.office.codes import views

app_name = "codes"
urlpatterns = [
    path("", views.tables, name="tables"),
    path("<slug:table>/", views.table, name="table"),
    path("<slug:table>/<int:pk>/", views.row, name="row"),
]
