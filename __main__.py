"""webstack: the composition root. Load and validate the stack's settings, build its platform, export the outputs.

Nothing else belongs here: components live in ``components/``, settings in ``components/settings.py``.
"""

import pulumi

from components.aws import platform as aws_platform
from components.docker import platform as docker_platform
from components.settings import load_secrets, load_settings

PLATFORMS = {"aws": aws_platform.build, "docker": docker_platform.build}

settings = load_settings()
for output_name, value in PLATFORMS[settings.platform](settings, load_secrets()).items():
    pulumi.export(output_name, value)
