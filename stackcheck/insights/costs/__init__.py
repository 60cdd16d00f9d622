"""A monthly cost estimate of a stack: what each component registered, priced from a table kept in the repository.

:func:`~.estimate.estimate` reads what the program registered (resource types and inputs: instance classes, Multi-AZ,
storage, task sizes and desired counts, node types and counts, alarms, log groups and their retention, canary
schedules, web ACL rules, keys, secrets, NAT gateways, load balancers, backup plans, ...) and prices it with the on-
demand list prices of ``stackcheck/prices.json``. Where the program says nothing about usage (traffic, data volumes,
users), a named constant of :mod:`.usage` stands in, and every line that uses one says so next to its numbers.

It is pure and deterministic: the same resources give the same estimate, to the cent. Account-wide free tiers
(CloudWatch's 10 alarms and 3 dashboards, KMS's 20,000 requests, ...) are not applied, since other workloads share
them; per-resource allowances that come with a resource (RDS backup storage up to the allocated storage, one free
ElastiCache snapshot, 7 days of Performance Insights) are. The docker platform runs on a host of your own and is
estimated at zero. Resource types that cost nothing (or next to nothing) are listed as "not priced" with the reason,
so that nothing is dropped silently.

The package: :mod:`.estimate` (the entry point, :func:`~.estimate.estimate`) runs one pricing function per resource
type, each in the module of its service family (:mod:`.compute`, :mod:`.databases`, :mod:`.cache`, :mod:`.storage`,
:mod:`.backups`, :mod:`.network`, :mod:`.edge`, :mod:`.monitoring`, :mod:`.security`), over what :mod:`.core` shares:
the stack's regions and the notes and assumptions an estimate collects. :mod:`.prices` reads the table,
:mod:`.model` is the estimate and its lines, :mod:`.usage` the usage assumptions, :mod:`.not_priced` the reasons of
what has no price, and :mod:`.schedules` how often a schedule runs.
"""
