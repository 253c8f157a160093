"""Human-readable ticket numbers from a database sequence: concurrent requests never collide."""

from __future__ import annotations

from django.db import connection

from tickets.models import TicketNumberAllocation

SEQUENCE_NAME = "tickets_ticket_number_seq"


def next_ticket_number() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
            value = cursor.fetchone()[0]
    else:
        value = TicketNumberAllocation.objects.create().pk
    return f"CS-{value:06d}"
