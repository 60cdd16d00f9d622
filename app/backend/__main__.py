"""``python -m app.backend serve`` (the service) or ``python -m app.backend migrate`` (the migration)."""

from __future__ import annotations

import os
import sys

from app.backend.environment import Env, MissingSetting

USAGE = "usage: python -m app.backend serve|migrate"


def main(argv: list[str]) -> int:
    env = Env(dict(os.environ))
    command = argv[0] if argv else "serve"
    try:
        if command == "serve":
            from app.backend.server import serve

            serve(env)
            return 0
        if command == "migrate":
            from app.backend.migrate import migrate

            return migrate(env)
    except MissingSetting as error:
        print(f"webstack-reference: {error}", file=sys.stderr)
        return 2
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
