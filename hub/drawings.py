"""What a process draws once and keeps: the layout's parts, forms' media, translations.

Each is drawn from code and settings alone, so it stays right for the life of the process,
except that tests change settings: a drawing is forgotten when one of the settings it
depends on changes. The number kept is bounded; when full, everything is forgotten and
drawn again as asked. Threads share the drawings: at worst two draw the same one at once,
and both keep the same drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.core.signals import setting_changed


class Drawings[K: Hashable, V]:
    """Drawings by key, at most ``kept`` of them, forgotten when any of ``settings`` (every
    setting, if None) changes."""

    def __init__(self, kept: int, settings: frozenset[str] | None = None) -> None:
        self._drawn: dict[K, V] = {}
        self._kept = kept
        self._settings = settings
        setting_changed.connect(self._setting_changed, weak=False)

    def get(self, key: K, draw: Callable[[], V]) -> V:
        """The drawing kept for ``key``, drawn by ``draw`` if there is none."""
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = draw()
            if len(self._drawn) >= self._kept:
                self._drawn.clear()
            self._drawn[key] = drawn
        return drawn

    def forget(self) -> None:
        self._drawn.clear()

    def _setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if self._settings is None or setting in self._settings:
            self.forget()
