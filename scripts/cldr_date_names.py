"""Write CLDR's month and weekday names into the hub's catalogues (Babel's data).

Django's own catalogues capitalise some of them ("Giovedì 3 Dicembre"); the hub's catalogues
come first, so these entries make every ``date`` filter write dates as each language writes
them inside a sentence ("giovedì 3 dicembre", "jeudi 3 décembre"). Run it when a language
is added, then ``scripts/compile_messages.py``. English keeps Django's own names.
"""

from __future__ import annotations

from pathlib import Path

import polib
from babel import Locale

ROOT = Path(__file__).resolve().parents[1]

# Django's msgids (django/utils/dates.py) and the CLDR names each one stands for.
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
MONTHS_AP = [
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_ABBR = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def cldr_entries(language: str) -> list[tuple[str, str, str]]:
    """(msgctxt, msgid, msgstr) for every month and weekday name Django translates."""
    cldr = Locale.parse(language)
    entries: list[tuple[str, str, str]] = []
    for number, msgid in enumerate(MONTHS, start=1):
        entries.append(("", msgid, cldr.months["format"]["wide"][number]))
        entries.append(("alt. month", msgid, cldr.months["stand-alone"]["wide"][number]))
        entries.append(
            ("abbrev. month", MONTHS_AP[number - 1], cldr.months["format"]["abbreviated"][number])
        )
    for number, msgid in enumerate(WEEKDAYS):
        entries.append(("", msgid, cldr.days["format"]["wide"][number]))
        entries.append(("", WEEKDAYS_ABBR[number], cldr.days["format"]["abbreviated"][number]))
        # The hub's own label of a day on its own, at the start of a line.
        standalone = cldr.days["stand-alone"]["wide"][number]
        entries.append(("day of the week", msgid, standalone[:1].upper() + standalone[1:]))
    return entries


def main() -> None:
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
        language = po_path.parent.parent.name
        if language == "en":
            continue
        po = polib.pofile(str(po_path))
        for context, msgid, msgstr in cldr_entries(language):
            entry = po.find(msgid, msgctxt=context or None)
            if entry is None:
                entry = polib.POEntry(msgid=msgid, msgctxt=context or None)
                po.append(entry)
            entry.msgstr = msgstr
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        po.save()
        print(f"wrote CLDR month and weekday names into {po_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
