from __future__ import annotations

from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("verify/<str:token>/", views.verify, name="verify"),
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/export.csv", views.ticket_export, name="export"),
    path("tickets/<str:number>/", views.ticket_detail, name="detail"),
    path("tickets/<str:number>/queue/", views.ticket_queue, name="queue"),
    path("tickets/<str:number>/comments/", views.ticket_comment_add, name="comment"),
    path("tickets/<str:number>/close/", views.ticket_close, name="close"),
    path(
        "tickets/<str:number>/account-access/", views.ticket_account_access, name="account_access"
    ),
]
