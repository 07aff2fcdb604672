from django.urls import path

from gaokao.office.sync import views

app_name = "sync"
urlpatterns = [
    path("devices/", views.devices, name="devices"),
    path("devices/<uuid:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict"),
]
