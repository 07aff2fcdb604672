from django.urls import path

from gaokao.portal import professional, views

app_name = "portal"
urlpatterns = [
    path("", views.sign_in, name="login"),
    path("confirmation-password/", views.confirmation, name="confirmation"),
    path("status/", views.status, name="status"),
    path("proofreading/", views.proofreading, name="proofreading"),
    path("proofreading/sheet.pdf", views.proofreading_pdf, name="proofreading-pdf"),
    path("password/", views.password, name="password"),
    path("data/", views.data, name="data"),
    path("logout/", views.sign_out, name="logout"),
    path("professional/", professional.professional, name="professional"),
    path("professional/<str:code>/pay/", professional.pay, name="pay"),
    path("professional/<str:code>/paid/", professional.paid, name="paid"),
    path("professional/<str:code>/withdraw/", professional.withdraw, name="withdraw"),
    path("orders/<str:out_trade_no>/", professional.order, name="order"),
]
