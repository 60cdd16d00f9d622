"""The house shows its plan: no module of the product over 600 lines and no import cycle between its modules, across
the product's packages (tests/sourcegraph.py reads the source; tests/stackcheck/test_layout.py shows each rule failing
on planted examples)."""

import pytest

from tests.conftest import ROOT
from tests.sourcegraph import find_cycle, import_graph, long_modules, modules

#: The product: what deploys, judges and checks (tests and the reference application's own code are not).
PRODUCT = ("components", "policies", "stackcheck", "scripts", "provider")


def test_no_module_of_the_product_is_over_600_lines() -> None:
    assert long_modules(ROOT, *PRODUCT) == {}, "split by responsibility"
    assert len((ROOT / "__main__.py").read_text().splitlines()) <= 600


def test_the_product_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, *PRODUCT)
    assert "components.settings" in graph["components.aws.platform"]  # a relative import, resolved
    assert "components.settings" in graph["stackcheck.insights.costs.edge"]  # across packages
    assert find_cycle(graph) == []


@pytest.mark.parametrize("folder", PRODUCT)
def test_every_product_folder_has_modules(folder: str) -> None:
    assert modules(ROOT, folder)
