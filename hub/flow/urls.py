"""The contact flow's pages, in the ``hub`` namespace (``hub:home``, ``hub:contact_phone``...).

The contact forms hang under the area they are about,
``technical/areas/<slug>/contact/<method>/``.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from hub.flow import contact, steps, success
from tickets import views as ticket_views

contact_patterns = [
    path("chat/", contact.chat, name="contact_chat"),
    path("email/", contact.email, name="contact_email"),
    path("phone/", contact.phone, name="contact_phone"),
    path("phone/wait/", contact.phone_wait, name="contact_phone_wait"),
    path("conference/", contact.conference, name="contact_conference"),
]

hub_patterns: tuple[list[URLPattern | URLResolver], str] = (
    [
        path("", steps.home, name="home"),
        path("technical/", steps.redirect_question, name="redirect"),
        path("technical/areas/", steps.areas, name="areas"),
        path("technical/areas/<slug:slug>/", steps.area, name="area"),
        path(
            "technical/areas/<slug:slug>/assistant/feedback/",
            steps.assistant_feedback,
            name="assistant_feedback",
        ),
        path("technical/areas/<slug:slug>/contact/", steps.methods, name="methods"),
        path("technical/areas/<slug:slug>/contact/", include(contact_patterns)),
        path("account-services/", steps.account_services, name="account_services"),
        path("your-services/", success.your_services, name="your_services"),
        path("your-services/success-check/", success.success_check, name="success_check"),
        path("requests/<str:number>/", steps.confirmation, name="confirmation"),
        path("requests/<str:number>/callback/", contact.callback_change, name="callback_change"),
        path("attachments/<int:pk>/", ticket_views.attachment_download, name="attachment"),
    ],
    "hub",
)
