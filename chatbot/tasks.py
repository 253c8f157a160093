"""Celery adapters of the chatbot app: load the row, call one service."""

from __future__ import annotations

from celery import shared_task

from chatbot import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def article_version_index(version_id: int) -> bool:
    """Passages, full-text vectors and embeddings of one article version (idempotent)."""
    return services.article_version_index(version_id=version_id)


@shared_task
def knowledge_index_sweep() -> int:
    """Queue every version whose passages are missing or stale: a save whose task never
    reached the broker is indexed within one beat interval."""
    return services.knowledge_index_sweep()
