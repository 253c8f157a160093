"""The README's configuration table names every variable the hub reads, in one table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def configuration_table() -> list[str]:
    """The rows of the table under "## Configuration", which must be one block of lines."""
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| variable |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    # Nothing after the break looks like more of it (a table split by a blank line).
    rest = lines[start + 2 + len(rows) :]
    assert not any(line.startswith("| `") for line in rest[:3]), "the table is split in two"
    return rows


def documented() -> set[str]:
    names: set[str] = set()
    for row in configuration_table():
        first_cell = row.split("|")[1]
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def read_by_settings() -> set[str]:
    source = (ROOT / "hub" / "settings.py").read_text()
    return set(re.findall(r'(?:_read|env\.\w+)\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_every_variable_the_settings_read_is_in_the_readme_table() -> None:
    read = read_by_settings()
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "ALLOWED_HOSTS"} <= read
    assert read - documented() == set()


def test_the_variables_of_the_makefile_and_the_compose_file_are_in_the_table_too() -> None:
    makefile = (ROOT / "Makefile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"^([A-Z_]+) \?=", makefile, re.M))
    used |= set(re.findall(r"\$\$\{([A-Z_]+)[:}-]", makefile)) - {"DEBUG", "REDIS_URL"}
    used |= set(re.findall(r"\$\{([A-Z_]+)[:?}-]", compose))
    assert "PORT" in used and "HUB_DOMAIN" in used
    assert used - documented() == set()


def test_the_table_documents_nothing_the_hub_does_not_read() -> None:
    makefile = (ROOT / "Makefile").read_text() + (ROOT / "scripts" / "find-python").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    known = read_by_settings()
    stale = {name for name in documented() - known if name not in makefile + compose}
    assert stale == set()
