"""Strings of Django's own admin and forms that Django 6's catalogues do not yet translate
into every language the hub ships (German, Spanish, Italian and Dutch lack some). Marked
here so that ``make messages`` keeps them in the hub's catalogues, which Django reads before
its own (LOCALE_PATHS): an agent's admin is then in their language throughout. Nothing
imports this module; the marks are for the message extractor."""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = (
    # The changelist's actions: the button and the empty choice of every select.
    gettext_noop("Run"),
    gettext_noop("- Select an option -"),
    # Headings read by screen readers on every changelist and history page.
    gettext_noop("Search %(name)s"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Filter by %(field_name)s"),
)
