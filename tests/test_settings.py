"""Every setting is documented in the README's settings table."""

from pathlib import Path

from services.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
ALIASES = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


def test_every_setting_is_in_the_readme() -> None:
    missing = [name for name in Settings.model_fields
               if f"`{ALIASES.get(name, 'AIPLATFORM_' + name.upper())}`" not in README]
    assert missing == []
