"""The README's role table says exactly what db/permissions.py grants."""

from __future__ import annotations

from pathlib import Path

from db.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> tuple[list[str], list[list[str]]]:
    """(header cells, body rows) of the first table under "## Roles and permissions"."""
    section = README.read_text().split("\n## Roles and permissions\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    return cells[0], cells[2:]  # cells[1] is the |---| line


def test_readme_table_matches_role_permissions() -> None:
    header, rows = readme_table()
    roles = [h for h in header if h in ROLE_PERMISSIONS]
    documented = {role: set() for role in roles}
    codenames = []
    for row in rows:
        codename = row[0].strip("`")
        codenames.append(codename)
        for role in roles:
            if row[header.index(role)] == "✓":
                documented[role].add(codename)

    assert roles == ["owner", "admin", "member", "viewer"]
    assert sorted(codenames) == sorted(ALL_PERMISSIONS)  # each codename once, none missing
    assert documented == {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
