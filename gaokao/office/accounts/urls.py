from django.urls import path

from gaokao.office.accounts import views
from gaokao.web import reauth

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_new, name="new"),
    path("enable-points/", views.enable_points, name="enable_points"),
    path("issued/", views.issued, name="issued"),
    path("issued/slips.pdf", views.slips_pdf, name="slips"),
    path("issued/done/", views.issued_done, name="issued_done"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/<slug:action>/", views.account_action, name="action"),
    path("confirm-identity/", reauth.reauth, name="reauth"),
]
