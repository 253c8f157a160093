from __future__ import annotations

from django.urls import path

from tickets import board_views, chat_views, staffing_views, views

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
    # Live chat; it starts from the flow's contact form (hub:contact_chat).
    path("chats/<str:number>/", chat_views.chat_page, name="chat"),
    path("chats/<str:number>/messages/", chat_views.chat_messages, name="chat_messages"),
    path("chats/<str:number>/send/", chat_views.chat_send, name="chat_send"),
    path("chats/<str:number>/end/", chat_views.chat_end, name="chat_end"),
    path("chats/<str:number>/transcript/", chat_views.chat_transcript, name="chat_transcript"),
    path(
        "chats/<str:number>/switch/email/",
        chat_views.chat_switch_email,
        name="chat_switch_email",
    ),
    path("agents/board/", board_views.queue_board_page, name="queue_board"),
    path("agents/board/rows/", board_views.queue_board_rows, name="queue_board_rows"),
    path("agents/board/take/", board_views.queue_take_next, name="queue_take_next"),
    path("agents/chats/", chat_views.chat_console, name="chat_console"),
    path("agents/waits/", views.wait_report, name="wait_report"),
    path("agents/chats/waiting/", chat_views.chat_console_waiting, name="chat_console_waiting"),
    path("agents/chats/availability/", chat_views.chat_availability, name="chat_availability"),
    path("agents/chats/<str:number>/accept/", chat_views.chat_accept, name="chat_accept"),
    path("agents/staffing/", staffing_views.staffing_planner, name="staffing"),
    path("agents/staffing/plan.csv", staffing_views.staffing_planner_csv, name="staffing_csv"),
]
