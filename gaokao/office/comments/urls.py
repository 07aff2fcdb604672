from django.urls import path

from gaokao.office.comments import views

app_name = "comments"
urlpatterns = [
    path("", views.batch, name="batch"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("import/", views.import_comments, name="import"),
]
