from django.urls import path

from gaokao.office.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/comment/", views.incident_act, {"action": "comment"}, name="comment"),
    path("<int:pk>/escalate/", views.incident_act, {"action": "escalate"}, name="escalate"),
    path("<int:pk>/resolve/", views.incident_act, {"action": "resolve"}, name="resolve"),
    path("<int:pk>/reopen/", views.incident_act, {"action": "reopen"}, name="reopen"),
]
