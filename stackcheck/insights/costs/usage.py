"""The usage assumptions: what the program does not say (traffic, data volumes, users), one named constant each.

Every line that uses one says so next to its numbers, and the estimate lists those it used, in the order of
:data:`USAGE_CONSTANTS`."""

from __future__ import annotations

HOURS_PER_MONTH = 730
"""Hours in an average month (8,760 / 12), as AWS's own calculator counts them."""
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
ALB_AVERAGE_LCUS = 1.0
"""Load balancer capacity units an ALB uses on average (new connections, active connections, bytes, rule checks)."""
NAT_GB_PER_GATEWAY = 100.0
"""GB a NAT gateway processes a month (image pulls, AWS APIs without endpoints, outbound calls)."""
LOG_GB_PER_GROUP = 10.0
"""GB a log group ingests a month; kept as long as its retention says."""
LOG_UNLIMITED_MONTHS = 12.0
"""Months of data counted for what is kept forever (logs, log buckets, backups): one year's worth."""
S3_DOCUMENTS_GB = 50.0
"""GB the documents bucket holds."""
S3_EXPORTS_GB = 50.0
"""GB of logical database dumps the exports bucket holds (the program makes the bucket, not the dumps)."""
S3_LOG_GB_PER_MONTH = 5.0
"""GB of access logs a log-sink bucket receives a month; kept until its lifecycle expires them."""
S3_OTHER_GB = 1.0
"""GB any other bucket holds (canary artifacts and the like)."""
S3_MONTHLY_WRITE_SHARE = 0.2
"""Share of a replicated bucket's data written (new or changed) in a month: what replication carries across regions."""
S3_GET_REQUESTS = 1_000_000
"""GET requests a month to the documents bucket."""
S3_PUT_REQUESTS = 100_000
"""PUT requests a month to the documents bucket."""
BACKUP_DAILY_CHANGE = 0.01
"""Share of a database's (or bucket's) data that changes a day: the size of each incremental backup."""
CACHE_DATA_SHARE = 0.5
"""Share of a cache node's memory holding data: the size of one snapshot."""
AMP_SAMPLES_PER_HOUR = 1_000_000
"""Samples a Prometheus workspace ingests an hour."""
AMP_BYTES_PER_SAMPLE = 2.0
"""Bytes a stored sample takes, compressed."""
AMP_RETENTION_DAYS = 150
"""Days Amazon Managed Service for Prometheus keeps samples (its default)."""
GRAFANA_EDITORS = 2
"""Active Grafana editors (or admins) a month."""
GRAFANA_VIEWERS = 3
"""Active Grafana viewers a month."""
WAF_REQUESTS_PER_MONTH = 10_000_000
"""Requests a web ACL inspects a month."""
KMS_REQUESTS_PER_KEY = 100_000
"""API requests a customer managed key serves a month (encrypt, decrypt, data keys)."""
ECR_GB_PER_REPOSITORY = 1.0
"""GB of images a repository keeps."""
SSM_STANDARD_MAX_BYTES = 4096
"""Largest value a standard-tier (free) SSM parameter holds."""

#: The usage constants above, in the order the estimate lists those it used.
USAGE_CONSTANTS = (
    "HOURS_PER_MONTH",
    "ALB_AVERAGE_LCUS",
    "NAT_GB_PER_GATEWAY",
    "LOG_GB_PER_GROUP",
    "LOG_UNLIMITED_MONTHS",
    "S3_DOCUMENTS_GB",
    "S3_EXPORTS_GB",
    "S3_LOG_GB_PER_MONTH",
    "S3_OTHER_GB",
    "S3_MONTHLY_WRITE_SHARE",
    "S3_GET_REQUESTS",
    "S3_PUT_REQUESTS",
    "BACKUP_DAILY_CHANGE",
    "CACHE_DATA_SHARE",
    "AMP_SAMPLES_PER_HOUR",
    "AMP_BYTES_PER_SAMPLE",
    "AMP_RETENTION_DAYS",
    "GRAFANA_EDITORS",
    "GRAFANA_VIEWERS",
    "WAF_REQUESTS_PER_MONTH",
    "KMS_REQUESTS_PER_KEY",
    "ECR_GB_PER_REPOSITORY",
)


HOURS = f"HOURS_PER_MONTH = {HOURS_PER_MONTH} h"
"""The assumption of a line that runs all month."""
