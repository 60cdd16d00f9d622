"""Cloudflare in front of an origin that exists already (a load balancer, a server, a platform's hostname): the
zone's TLS and HSTS settings, its cache, rate-limit, WAF and security-header rulesets and the site's proxied records,
with webstack's Cdn and nothing else of webstack. The Cloudflare provider takes its token from CLOUDFLARE_API_TOKEN
(or ``pulumi config set --secret cloudflare:apiToken``)."""

import pulumi
from webstack.cdn import Cdn, CdnArgs, CdnRateLimitArgs

config = pulumi.Config()
plan = config.get("plan") or "free"
# The free plan allows one rate-limiting rule, counted over 10 s: sign-ins, 10 per 2 minutes per client IP (the
# limit is scaled to the period, keeping its rate). Pro and up may keep each limit's own window and run more.
limits = [CdnRateLimitArgs("login", limit=10, window_seconds=120, path="login", match="contains")]

cdn = Cdn(
    "cdn",
    CdnArgs(
        zone_id=config.require("zoneId"),
        domain=config.require("domain"),
        plan=plan,
        origin=config.require("origin"),
        rate_limits=limits,
        rate_limit_period_seconds=10 if plan == "free" else None,
    ),
)

pulumi.export("zoneId", cdn.zone_id)
pulumi.export("rulesets", cdn.ruleset_ids)
pulumi.export("hostnames", cdn.hostnames)
