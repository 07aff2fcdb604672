from django.urls import path

from gaokao.office.gate import views

app_name = "gate"
urlpatterns = [
    path("", views.index, name="index"),
    path("pause/", views.pause, name="pause"),
    path("resume/", views.resume, name="resume"),
    path("admission/", views.admission, name="admission"),
    path("slots/new/", views.slot_new, name="slot-new"),
    path("slots/<int:pk>/", views.slot_edit, name="slot-edit"),
    path("slots/<int:pk>/delete/", views.slot_delete, name="slot-delete"),
]
