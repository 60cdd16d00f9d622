"""The migration: ``python -m app.backend migrate``, which webstack runs once per deployment whose image or command
changed, before the new version serves (docs/moving-in.md, "The migration"; on docker a run-once container, on aws a
one-off ECS task). It only adds what is missing, so a second run changes nothing, and the previous version keeps
working against the new schema.

``notes`` is keyed by user, so it exists on every shard (the ring may place any user anywhere); ``visits`` is placed
by table, so it exists on its shard only.
"""

from __future__ import annotations

import sys

from app.backend.data import Database
from app.backend.environment import Env

NOTES = """
CREATE TABLE IF NOT EXISTS notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_key text NOT NULL,
    body text NOT NULL,
    client_address text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notes_user_key ON notes (user_key, id);
"""
VISITS = """
CREATE TABLE IF NOT EXISTS visits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_address text NOT NULL,
    path text NOT NULL,
    visited_at timestamptz NOT NULL DEFAULT now()
);
"""


def migrate(env: Env) -> int:
    database = Database.from_env(env)
    visits = database.shard_of_table("visits").index
    for shard in database.shards:
        with database.writer(shard) as conn:
            conn.execute(NOTES)
            if shard.index == visits:
                conn.execute(VISITS)
        print(f"webstack-reference: migrated shard {shard.index} ({shard.writer})", file=sys.stderr, flush=True)
    return 0
