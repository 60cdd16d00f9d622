"""The edge: AWS WAF web ACLs (the ACL, its rules, the requests it inspects) and each Cloudflare zone's plan, the one
the Cdn component records or else the cheapest that allows the zone's rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.settings import CLOUDFLARE_PLANS, PLAN_LIMITS
from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine
from stackcheck.insights.costs.usage import WAF_REQUESTS_PER_MONTH

#: Cloudflare's Free Managed Ruleset (the same id as ``components.cdn.FREE_MANAGED_RULESET``; not imported from
#: there, since components.cdn loads the Cloudflare SDK): any other managed ruleset needs a paid plan.
FREE_MANAGED_RULESET = "77454fe2d30c4220b5701f6fdfb893ba"


def web_acls(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        rules = read(r, "rules") or []
        paid = [
            str(((rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("name", ""))
            for rule in rules
        ]
        for name in paid:
            if any(word in name for word in ("BotControl", "ATP", "ACFP", "AntiDDoS")):
                est.note(f"the WAF rule group {name} has its own subscription and request fees: not estimated")
        requests = est.assume(
            "WAF_REQUESTS_PER_MONTH", WAF_REQUESTS_PER_MONTH, "requests inspected a month per web ACL"
        )
        lines += [
            est.line(r, "WAF web ACL", 1, "waf.web_acl.month"),
            est.line(r, f"WAF rules ({len(rules)})", len(rules), "waf.rule.month", "as registered"),
            est.line(r, "WAF requests", WAF_REQUESTS_PER_MONTH / 1e6, "waf.requests.per_million", requests),
        ]
    return lines


def cloudflare(est: Estimator, name: str, members: list[RecordedResource]) -> list[CostLine]:
    """The Cloudflare plan of each zone a component manages."""
    zones = sorted({str(read(r, "zoneId")) for r in members if r.type.startswith("cloudflare:") and read(r, "zoneId")})
    top = est.tops.get(name)
    lines = []
    for zone in zones:
        in_zone = [r for r in members if r.type.startswith("cloudflare:") and str(read(r, "zoneId")) == zone]
        declared = read(top, "plan") if top is not None else None
        if declared in CLOUDFLARE_PLANS:
            plan, why = str(declared), "the plan the Cdn component records"
        else:
            plan, why = _infer_plan(in_zone)
            est.note(f"Cloudflare zone {zone}: {why}")
        price, _ = est.prices.lookup(f"cloudflare.plan.{plan}", "global")
        if price is not None and price.reason:
            why = f"{why}; {price.reason}"
        resource_type = top.type if top is not None else in_zone[0].type
        lines.append(est.line(resource_type, f"Cloudflare {plan} plan, zone {zone}", 1, f"cloudflare.plan.{plan}", why))
    return lines


def _infer_plan(zone: Sequence[RecordedResource]) -> tuple[str, str]:
    """The cheapest Cloudflare plan that allows a zone's rulesets, and a sentence saying how it was found."""
    rate_rules: list[Mapping[str, Any]] = []
    managed = False
    edge_ttls: list[float] = []
    for r in zone:
        if r.type != "cloudflare:index/ruleset:Ruleset":
            continue
        phase, rules = read(r, "phase"), read(r, "rules") or []
        if phase == "http_ratelimit":
            rate_rules += [rule.get("ratelimit") or {} for rule in rules]
        elif phase == "http_request_firewall_managed":
            managed = managed or any(
                rule.get("action") == "execute"
                and (rule.get("actionParameters") or {}).get("id") not in (None, FREE_MANAGED_RULESET)
                for rule in rules
            )
        elif phase == "http_request_cache_settings":
            for rule in rules:
                ttl = num(((rule.get("actionParameters") or {}).get("edgeTtl") or {}).get("default"))
                if ttl is not None:
                    edge_ttls.append(ttl)
    periods = [num(rule.get("period")) or 0.0 for rule in rate_rules]
    timeouts = [num(rule.get("mitigationTimeout")) or 0.0 for rule in rate_rules]
    needs = [f"{len(rate_rules)} rate-limiting rule(s)"]
    if periods:
        needs.append(f"counting periods up to {max(periods):g} s")
    if managed:
        needs.append("the Cloudflare Managed ruleset")
    for plan in CLOUDFLARE_PLANS:
        limits = PLAN_LIMITS[plan]
        if (
            len(rate_rules) <= limits.rate_limit_rules
            and all(p <= limits.longest_period for p in periods)
            and all(t <= limits.longest_timeout for t in timeouts)
            and (limits.managed_rulesets or not managed)
            and all(ttl >= limits.shortest_edge_ttl for ttl in edge_ttls)
        ):
            return plan, (
                f"the plan is not recorded in the resources: {plan}, the cheapest plan that allows the zone's rules "
                f"({', '.join(needs)}), is assumed"
            )
    return "enterprise", "the zone's rules need the Enterprise plan (no list price)"
