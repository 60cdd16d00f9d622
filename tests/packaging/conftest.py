"""The wheel the packaging tests judge: built and installed once per test process."""

import pytest

from tests.packaging.wheel import Installed, build_and_install


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return build_and_install(tmp_path_factory.mktemp("wheel"))
