from django.urls import path

from gaokao.office.candidates import views

app_name = "candidates"
urlpatterns = [
    path("", views.candidate_list, name="list"),
    path("reviews/", views.pending_reviews, name="reviews"),
    path("intake/", views.intake, name="intake"),
    path("intake/card/", views.intake_card, name="intake_card"),
    path("intake/manual/", views.manual_intake, name="manual"),
    path("login-cards/", views.login_cards, name="login_cards"),
    path("login-cards/issued/", views.issued, name="issued"),
    path("login-cards/issued/cards.pdf", views.issued_cards_pdf, name="issued_cards"),
    path("login-cards/issued/sheet.pdf", views.issued_sheet_pdf, name="issued_sheet"),
    path("login-cards/issued/done/", views.issued_done, name="issued_done"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/checks/", views.point_checks, name="checks"),
    path("<uuid:pk>/review/", views.review, name="review"),
    path("<uuid:pk>/waive-card/", views.waive_card, name="waive_card"),
    path("<uuid:pk>/resubmit-review/", views.resubmit_review, name="resubmit_review"),
    path("<uuid:pk>/verify-card/", views.verify_card, name="verify_card"),
    path("<uuid:pk>/reset-confirmation/", views.reset_confirmation, name="reset_confirmation"),
    path("<uuid:pk>/review-form.pdf", views.review_form_pdf, name="review_form"),
    path("<uuid:pk>/id-number/", views.reveal_id_number, name="reveal_id_number"),
]
