from django.urls import path

from gaokao.office.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_new, name="new"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/withdraw/", views.notice_withdraw, name="withdraw"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
