"""The contact forms, included by the flow at ``technical/areas/<slug:slug>/contact/``
inside the ``hub`` namespace: ``hub:contact_email``, ``hub:contact_phone``,
``hub:contact_phone_wait`` and ``hub:contact_conference``, each with ``slug``."""

from __future__ import annotations

from django.urls import path

from hub.flow import contact

contact_patterns = [
    path("email/", contact.email, name="contact_email"),
    path("phone/", contact.phone, name="contact_phone"),
    path("phone/wait/", contact.phone_wait, name="contact_phone_wait"),
    path("conference/", contact.conference, name="contact_conference"),
]
