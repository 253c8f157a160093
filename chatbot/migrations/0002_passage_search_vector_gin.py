"""The GIN index of the passages' full-text vectors, on PostgreSQL only.

Declared here rather than in Passage.Meta.indexes: SQLite (the embedded default) has no GIN,
and retrieval there ranks passages with BM25 in Python instead.
"""

from django.db import migrations

INDEX = "chatbot_passage_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON chatbot_passage USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("chatbot", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
