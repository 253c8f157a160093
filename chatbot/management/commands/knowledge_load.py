"""Load the knowledge files of chatbot/knowledge into the database (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot import content
from chatbot.services import knowledge_index_sweep, knowledge_load, synonyms_ensure_defaults


class Command(BaseCommand):
    help = (
        "Create or update the knowledge-base articles from chatbot/knowledge/articles. "
        "A file that breaks the format stops the load, naming the file; nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--root", type=Path, default=content.KNOWLEDGE_ROOT, help="the knowledge folder"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing: check the files and report missing and out-of-date "
            "translations (fails if there are any)",
        )

    def handle(self, *args: Any, root: Path, check: bool, **options: Any) -> None:
        try:
            if check:
                self._check(root)
                return
            synonyms = synonyms_ensure_defaults()
            report = knowledge_load(root=root)
        except content.KnowledgeFormatError as error:
            raise CommandError(
                "The knowledge files break the format:\n  " + "\n  ".join(error.problems)
            ) from error
        for line in report.lines():
            self.stdout.write(line)
        if synonyms:
            self.stdout.write(f"{synonyms} default synonyms added")
        queued = knowledge_index_sweep()
        if queued:
            self.stdout.write(f"{queued} article versions queued for indexing")

    def _check(self, root: Path) -> None:
        files = content.article_files(root)
        questions = content.labelled_questions(root)
        self.stdout.write(
            f"{len(files)} article files and {len(questions)} labelled questions are well formed."
        )
        status = content.translation_status(files)
        for language in status.missing:
            missing, stale = status.missing[language], status.stale[language]
            if not missing and not stale:
                self.stdout.write(f"{language}: every article is translated and up to date")
                continue
            if missing:
                self.stdout.write(
                    f"{language}: {len(missing)} not translated: {', '.join(missing)}"
                )
            for slug, made_from, english in stale:
                self.stdout.write(
                    f"{language}: {slug} was translated from the English of {made_from}; "
                    f"the English was updated {english}"
                )
        if not status.complete:
            raise CommandError("Some articles are not translated, or their translation is stale.")
