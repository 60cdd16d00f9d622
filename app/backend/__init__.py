"""The reference backend: the smallest application that uses everything webstack hands a backend.

It keeps the contract of ``docs/moving-in.md`` and nothing more: it listens on 8000 (``PORT`` overrides), answers
``/health`` (the database and Redis, 200 or 503) and ``/metrics`` (the request counter and duration histogram the
alert catalog reads), reads its credentials where the platform puts them (``NAME`` on aws, the file ``NAME_FILE`` on
docker), places rows with the shard map and ``components/shard_map.py`` (the same module the program publishes the
map with, copied into the image from the repository), writes to a shard's primary and reads from its replicas over
verified TLS, keeps a counter in Redis, stores documents in the documents bucket, and takes the client's address from
the header the platform names. ``python -m app.backend migrate`` is its migration.

Standard library HTTP server; psycopg (PostgreSQL, libpq's TLS), redis-py and, for the documents and the aws-only
lookups, boto3 (imported when first used): see ``app/backend/requirements.txt``.
"""
