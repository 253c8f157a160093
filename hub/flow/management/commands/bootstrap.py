"""The reference data every hub needs, and no demo data: a production database starts here.

The eleven product areas with their translations, the staff groups with their permissions,
the spec's service and language hours (only where none are set: an operator's hours are
kept), the default synonyms, and the knowledge base of chatbot/knowledge, indexed before the
command ends (its embeddings ship with it, so this takes seconds). Idempotent: a second run
changes nothing. ``docker-compose.yml`` runs it after ``migrate`` at every start of web.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chatbot import content
from chatbot.services import knowledge_index_now, knowledge_load, synonyms_ensure_defaults
from hub.accounts.services import staff_groups_ensure
from routing.services import product_areas_ensure_defaults, service_hours_ensure_defaults
from tickets.services import service_level_targets_ensure_defaults


class Command(BaseCommand):
    help = (
        "Create or update the reference data (product areas, staff groups, service and "
        "language hours, the shipped knowledge base) without any demo data. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Reference data: product areas, staff groups, hours, knowledge base…")
        try:
            with transaction.atomic():
                areas = product_areas_ensure_defaults()
                groups = staff_groups_ensure()
                service_hours_ensure_defaults()
                service_level_targets_ensure_defaults()
                synonyms = synonyms_ensure_defaults()
                # Indexed below, here and now, rather than queued: the assistant is ready
                # when this command ends.
                report = knowledge_load(queue_indexing=False)
        except content.KnowledgeFormatError as error:
            raise CommandError(
                "The knowledge files break the format:\n  " + "\n  ".join(error.problems)
            ) from error
        self.stdout.write(f"  {len(areas)} product areas")
        self.stdout.write(
            f"  {len(groups)} staff groups: " + ", ".join(group.name for group in groups.values())
        )
        self.stdout.write("  service and language hours: the spec's defaults where none are set")
        self.stdout.write("  service-level targets: the defaults where none are set")
        if synonyms:
            self.stdout.write(f"  {synonyms} default synonyms added")
        self.stdout.write(f"  knowledge base: {report.lines()[0]}")
        indexed = knowledge_index_now(progress=self._progress)
        if indexed:
            self.stdout.write(f"  {indexed} article versions indexed")
        self.stdout.write(self.style.SUCCESS("Reference data is ready."))

    def _progress(self, done: int, total: int) -> None:
        line = f"  indexing the knowledge base: {done}/{total} article versions"
        if self.stdout.isatty():
            self.stdout.write(f"\r{line}", ending="\n" if done == total else "")
            self.stdout.flush()
        elif done == total or done % 25 == 0:
            self.stdout.write(line)
