from django.urls import path

from gaokao.client import views

app_name = "client"
urlpatterns = [
    path("<uuid:pk>/", views.paper, name="paper"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("outbox/<uuid:pk>/resolve/", views.resolve, name="resolve"),
]
