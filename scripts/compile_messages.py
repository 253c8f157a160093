"""Compile locale/*/LC_MESSAGES/django.po to .mo without system gettext (uses polib)."""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]

for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.relative_to(ROOT)} ({po.percent_translated()}% translated)")
