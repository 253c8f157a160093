"""Routing's selectors over queues measured in the database, composed as the flow does.

The queue statistics (arrivals, handle times) are refreshed at ``now`` first, as beat does
every few seconds in production, so that a test sees the rows it has just made."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from hub.accounts.models import User
from routing.models import ProductArea
from routing.policy import ContactOffers, Staffing
from routing.selectors import contact_offers_for, member_facts, offer_languages, staffing_for
from tickets.queues import queue_facts, queue_statistics_refresh


def offers_for(
    user: User, *, area: ProductArea, language: str, now: datetime, refresh: bool = True
) -> ContactOffers:
    """The member's offers in this area and language, from the queues as they are at ``now``
    (``refresh=False``: with the statistics as they were last refreshed, as a page reads)."""
    member = member_facts(user)
    if refresh:
        queue_statistics_refresh(now=now)
    queues = queue_facts(area_id=area.pk, languages=offer_languages(language), now=now)
    return contact_offers_for(member, area=area, language=language, now=now, queues=queues)


def measured_staffing(*, area: ProductArea, languages: Collection[str], now: datetime) -> Staffing:
    """The area's staffing in these languages, from the queues as they are at ``now``."""
    queue_statistics_refresh(now=now)
    queues = queue_facts(area_id=area.pk, languages=languages, now=now)
    return staffing_for(area=area, languages=languages, queues=queues)
