"""webstack: the composition root. Load and validate the stack's settings, build its platform, export the outputs.

Nothing else belongs here: components live in ``components/``, settings in ``components/settings/``.
"""

import importlib

import pulumi

from components.settings import load_secrets, load_settings

#: platform -> the module whose ``build(settings, secrets)`` builds it (imported only when used: each pulls in its
#: own provider SDKs).
PLATFORMS = {"aws": "components.aws.platform", "docker": "components.docker.platform"}

settings = load_settings()
build = importlib.import_module(PLATFORMS[settings.platform]).build
for output_name, value in build(settings, load_secrets()).items():
    pulumi.export(output_name, value)
