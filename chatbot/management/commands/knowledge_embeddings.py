"""Refresh the embeddings shipped with the knowledge files (chatbot/knowledge/embeddings.npz).

Run it after changing an article file and commit the file with the change: loading then
reuses every vector instead of running the model. Each passage has two: its whole text's and
its heading's. Only texts that changed are computed; vectors no article uses any more are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot import content, embedding, passages


class Command(BaseCommand):
    help = (
        "Compute the shipped articles' passage embeddings that chatbot/knowledge/"
        "embeddings.npz lacks and drop the unused ones (--check: only say what is stale)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--root", type=Path, default=content.KNOWLEDGE_ROOT, help="the knowledge folder"
        )
        parser.add_argument(
            "--file", type=Path, default=embedding.SHIPPED_FILE, help="the embeddings file"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; fail when an article has a passage the file lacks",
        )

    def handle(self, *args: Any, root: Path, file: Path, check: bool, **options: Any) -> None:
        try:
            if check:
                status = passages.shipped_embeddings_status(root, file)
                if status.missing:
                    raise CommandError(
                        f"{file} lacks passages of {len(status.missing)} articles "
                        "(run manage.py knowledge_embeddings):\n  " + "\n  ".join(status.missing)
                    )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{file.name} holds all {status.texts} texts of the shipped articles' "
                        f"passages and headings ({status.unused} unused vectors)."
                    )
                )
                return
            computed, dropped = passages.shipped_embeddings_refresh(
                root, file, progress=self._progress
            )
        except content.KnowledgeFormatError as error:
            raise CommandError(
                "The knowledge files break the format:\n  " + "\n  ".join(error.problems)
            ) from error
        except embedding.ModelUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{file.name}: {computed} texts embedded, {dropped} unused vectors dropped"
                + ("" if computed or dropped else " (unchanged)")
            )
        )

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  embedded {done}/{total} texts")
