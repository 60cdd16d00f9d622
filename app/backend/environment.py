"""Where the backend's settings arrive: every value it reads goes through :class:`Env`.

Plain settings are environment variables. A credential ``NAME`` is the variable ``NAME`` when it is set (aws: ECS
``secrets`` from Secrets Manager), else the content of the file that ``NAME_FILE`` names (docker: files under
``/run/webstack``, mode 0400): docs/moving-in.md, "Where secrets arrive". Reading everything through one class keeps
the names the backend depends on in one place, where the tests find them (``tests/test_reference_app.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class MissingSetting(RuntimeError):
    """A setting the backend needs is absent."""


@dataclass(frozen=True)
class Env:
    """The process environment (or any mapping, in tests)."""

    values: Mapping[str, str]

    def text(self, name: str, default: str | None = None) -> str:
        """A plain setting; without a default, a missing one is an error that names it."""
        value = self.values.get(name)
        if value is None or value == "":
            if default is None:
                raise MissingSetting(f"{name} is not set")
            return default
        return value

    def number(self, name: str, default: int | None = None) -> int:
        raw = self.text(name, None if default is None else str(default))
        try:
            return int(raw)
        except ValueError:
            raise MissingSetting(f"{name} must be a whole number, got {raw!r}") from None

    def flag(self, name: str, default: bool = False) -> bool:
        return self.text(name, "true" if default else "false").strip().lower() in ("1", "true", "yes", "on")

    def has(self, name: str) -> bool:
        """Whether a plain setting is present (and not empty)."""
        return bool(self.values.get(name))

    def secret(self, name: str, *, required: bool = True) -> str | None:
        """The credential ``name``: the variable itself, else the file ``<name>_FILE`` names (surrounding
        whitespace removed: the files end in a newline as often as not)."""
        value = self.values.get(name)
        if value:
            return value
        path = self.values.get(f"{name}_FILE")
        if path:
            return Path(path).read_text().strip()
        if required:
            raise MissingSetting(f"{name} is not set, and neither is {name}_FILE")
        return None
