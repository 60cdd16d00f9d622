"""How ``pytest -n`` shares the real-server tier between its workers: xdist's load distribution, test by test, except
that the tests of a module whose servers are module fixtures all run on one worker, so that those servers start once
and not on every worker that draws one of its tests.

xdist's own way (``--dist loadgroup`` and the ``xdist_group`` mark) does nothing on pytest 9.2: it renames the
tests' node ids, which pytest 9.2 no longer takes (pytest-dev/pytest-xdist#1386, open). This is xdist's loadscope
scheduler with the scope of every other test being the test itself (``_split_scope``, its documented extension
point, which xdist's loadfile and loadgroup schedulers override the same way); xdist sends the largest scopes first.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from xdist.scheduler import LoadScopeScheduling

#: The tier's modules whose servers are module fixtures.
GROUPED_MODULES = frozenset({"test_nginx", "test_postgres", "test_shards", "test_mysql", "test_prometheus_server"})


def module_scope(nodeid: str) -> str | None:
    """The module of a test that must share a worker with its module's other tests, else None."""
    path = PurePosixPath(nodeid.split("::", 1)[0])
    if path.parent.name == "realserver" and path.stem in GROUPED_MODULES:
        return str(path)
    return None


class RealServerScheduling(LoadScopeScheduling):
    """Each test its own unit of work, but the tests of a module in :data:`GROUPED_MODULES` one unit together."""

    def _split_scope(self, nodeid: str) -> str:
        return module_scope(nodeid) or nodeid
