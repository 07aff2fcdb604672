from django.urls import path

from gaokao.office.seasons import views

app_name = "seasons"
urlpatterns = [
    path("", views.extensions, name="extensions"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("fees/", views.fees, name="fees"),
    path("phases/", views.phases, name="phases"),
    path("phases/<int:pk>/", views.phase, name="phase"),
]
