from django.urls import path

from bench.floor import views

urlpatterns = [
    path("ks/", views.sign_in),
    path("ks/status/", views.status),
    path("ks/data/", views.data),
    path("ks/proofreading/", views.proofreading),
    path("ks/logout/", views.sign_out),
    path("healthz", views.healthz),
]
