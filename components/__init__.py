"""webstack's components: settings, naming and the ComponentResources of each platform.

In the repository this folder is the package ``components``; installed (``pip install .``), it is ``webstack``:
``webstack.aws`` and ``webstack.docker`` (each platform's components, listed in its ``__all__``), ``webstack.cdn``
(Cloudflare in front of either), ``webstack.settings`` (the stack settings the platforms' composition reads).
Its modules import each other relatively, so both names work.
"""

__version__ = "0.2.0"
"""The distribution's version (pyproject.toml reads it; CHANGELOG.md says what each version changed)."""

__all__ = ["__version__"]
