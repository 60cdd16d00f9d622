"""The cost estimate: a well-formed price table, totals that order the stacks, prices that follow the program.

The prod total is pinned to the cent (:data:`PROD_TOTAL`): a change of a price in ``stackcheck/prices.json`` or of
what the program registers shows up here as a test change, made on purpose in the same commit.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.cdn import FREE_MANAGED_RULESET as CDN_FREE_MANAGED_RULESET
from stackcheck.engine.inventory import Inventory
from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.edge import FREE_MANAGED_RULESET
from stackcheck.insights.costs.estimate import estimate
from stackcheck.insights.costs.model import CostEstimate, CostLine
from stackcheck.insights.costs.not_priced import DOCKER_ASSUMPTION, UNKNOWN_REASON
from stackcheck.insights.costs.prices import PRICES_PATH, PriceTable
from stackcheck.insights.costs.schedules import runs_per_month
from stackcheck.insights.costs.usage import HOURS_PER_MONTH

#: The prod stack's monthly estimate, to the cent. Update it (on purpose) when prices or the program change (the
#: images built from app/ added two ECR repositories: ECR_GB_PER_REPOSITORY x USD 0.10 each).
PROD_TOTAL = 2978.77

DATABASE = "database (webstack:aws:ShardedDatabase)"
PROVIDER_URN = "urn:pulumi:test::webstack::pulumi:providers:aws::aws"


# -- fixtures and hand-built stacks ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prod(prod_run: Any) -> CostEstimate:
    return estimate(prod_run.resources, "prod")


@pytest.fixture(scope="module")
def staging(staging_run: Any) -> CostEstimate:
    return estimate(staging_run.resources, "staging")


@pytest.fixture(scope="module")
def local(local_run: Any) -> CostEstimate:
    return estimate(local_run.resources, "local")


def resource(
    type_: str,
    name: str,
    parent: RecordedResource | None = None,
    /,
    *,
    custom: bool = True,
    region_provider: str = PROVIDER_URN,
    depends: dict[str, list[str]] | None = None,
    **inputs: Any,
) -> RecordedResource:
    """A recorded resource as the engine would register it (a component when ``custom`` is false)."""
    parent_urn = parent.urn if parent is not None else ""
    qualified = f"{parent.urn.split('::')[2]}${type_}" if parent is not None else type_
    return RecordedResource(
        urn=f"urn:pulumi:test::webstack::{qualified}::{name}",
        type=type_,
        name=name,
        custom=custom,
        parent=parent_urn,
        provider=f"{region_provider}::provider-id" if custom else "",
        protect=False,
        dependencies=[],
        property_dependencies=depends or {},
        inputs=dict(inputs),
        id=name if custom else "",
    )


def provider(region: str = "us-east-1") -> RecordedResource:
    """The aws provider (its URN is :data:`PROVIDER_URN`) in ``region``."""
    return resource("pulumi:providers:aws", "aws", region=region)


def sharded_database(shards: int, *, multi_az: bool = True, replicas: int = 1) -> list[RecordedResource]:
    """A sharded database like the program's: per shard a primary and its read replicas."""
    top = resource("webstack:aws:ShardedDatabase", "database", custom=False)
    built = [provider(), top]
    for index in range(shards):
        shard = resource("webstack:aws:Database", f"database-shard-{index}", top, custom=False)
        primary = resource(
            "aws:rds/instance:Instance",
            f"database-shard-{index}-primary",
            shard,
            engine="postgres",
            instanceClass="db.m7g.large",
            multiAz=multi_az,
            allocatedStorage=100.0,
            storageType="gp3",
            backupRetentionPeriod=30.0,
            performanceInsightsEnabled=True,
            performanceInsightsRetentionPeriod=7.0,
            manageMasterUserPassword=True,
        )
        built += [shard, primary]
        built += [
            resource(
                "aws:rds/instance:Instance",
                f"database-shard-{index}-replica-{n}",
                shard,
                depends={"replicateSourceDb": [primary.urn]},
                instanceClass="db.m7g.large",
                multiAz=False,
                replicateSourceDb=primary.name,
            )
            for n in range(replicas)
        ]
    return built


def component(result: CostEstimate, name: str) -> Any:
    found = [c for c in result.components if c.name == name]
    assert len(found) == 1, f"no component {name}"
    return found[0]


def line(result: CostEstimate, component_name: str, item_start: str) -> CostLine:
    lines = component(result, component_name).lines
    found = [ln for ln in lines if ln.item == item_start] or [ln for ln in lines if ln.item.startswith(item_start)]
    assert len(found) == 1, f"expected one line starting {item_start!r}, got {[ln.item for ln in found]}"
    return found[0]


# -- the price table ------------------------------------------------------------------------------------------------
def test_the_price_table_is_well_formed() -> None:
    document = json.loads(PRICES_PATH.read_text())
    assert "not re-checked" in document["note"].lower()
    assert "as_of" in document["note"]
    assert "To update it" in document["note"]
    assert document["currency"] == "USD"
    assert "us-east-1" in document["regions"]
    entries = [entry for region in document["regions"].values() for entry in region.values()]
    entries += list(document["global"].values())
    assert len(entries) > 40
    for entry in entries:
        assert isinstance(entry["price"], int | float), entry
        assert entry["price"] >= 0, entry
        if entry["price"] == 0:
            assert entry.get("reason"), f"a zero price needs a reason: {entry}"
        assert entry["unit"], entry
        assert re.fullmatch(r"https://[^\s]+/", entry["source"]), entry
        assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", entry["as_of"]), entry


def test_the_table_covers_what_the_brief_lists() -> None:
    table = PriceTable.load()
    us_east = table.regions["us-east-1"]
    for key in (
        "elb.alb.hour",
        "elb.alb.lcu_hour",
        "vpc.nat.hour",
        "vpc.nat.gb",
        "fargate.linux.x86_64.vcpu_hour",
        "fargate.linux.arm64.gb_hour",
        "rds.postgres.db.m7g.large.hour",
        "rds.postgres.db.t4g.medium.hour",
        "rds.gp3.gb_month",
        "rds.backup.gb_month",
        "rds.performance_insights.free_tier",
        "elasticache.redis.cache.r7g.large.hour",
        "elasticache.redis.cache.t4g.small.hour",
        "s3.standard.gb_month",
        "backup.rds.gb_month",
        "cloudwatch.alarm.composite",
        "synthetics.canary_run",
        "amp.ingest.per_10m_samples",
        "grafana.editor.month",
        "waf.rule.month",
        "kms.key.month",
        "secretsmanager.secret.month",
        "sns.topic.month",
        "lambda.function.month",
        "ecr.storage.gb_month",
    ):
        assert key in us_east, key
    assert {"cloudflare.plan.free", "cloudflare.plan.pro", "cloudflare.plan.business"} <= set(table.globals)


def test_a_missing_region_falls_back_to_us_east_1_and_says_so() -> None:
    dr = provider("eu-central-1")
    keys = resource("webstack:aws:Keys", "keys", custom=False)
    result = estimate([dr, keys, resource("aws:kms/key:Key", "keys-data", keys)], "test")
    key_line = line(result, "keys (webstack:aws:Keys)", "KMS customer managed keys")
    assert key_line.unit_price == 1.0
    assert "no eu-central-1 price for kms.key.month" in key_line.assumption
    assert any("no eu-central-1 price for kms.key.month" in a for a in result.assumptions)


def test_the_free_managed_ruleset_id_matches_the_cdn_component() -> None:
    assert FREE_MANAGED_RULESET == CDN_FREE_MANAGED_RULESET


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(5 minutes)", HOURS_PER_MONTH * 12),
        ("rate(1 hour)", HOURS_PER_MONTH),
        ("rate(0 minutes)", 0),
        ("cron(0 2 * * ? *)", HOURS_PER_MONTH / 24),
        ("cron(0 3 ? * SUN *)", HOURS_PER_MONTH / 24 / 7),
        ("cron(0 5 1 * ? *)", 1),
        ("cron(0/15 * * * ? *)", HOURS_PER_MONTH * 4),
        ("cron(0 9 ? * MON-FRI *)", HOURS_PER_MONTH / 24 * 5 / 7),
        ("sometimes", None),
    ],
)
def test_schedules_are_counted_per_month(expression: str, runs: float | None) -> None:
    counted = runs_per_month(expression)
    assert counted == pytest.approx(runs) if runs is not None else counted is None


# -- the stacks -----------------------------------------------------------------------------------------------------
def test_prod_costs_more_than_staging_and_local_costs_nothing(
    prod: CostEstimate, staging: CostEstimate, local: CostEstimate
) -> None:
    assert prod.total > staging.total > 0
    assert local.total == 0
    assert all(c.monthly == 0 and not c.lines for c in local.components)
    assert DOCKER_ASSUMPTION in local.assumptions


def test_the_prod_total_is_pinned_to_the_cent(prod: CostEstimate) -> None:
    assert prod.total == PROD_TOTAL, (
        f"the prod estimate is now {prod.total:.2f} (was {PROD_TOTAL:.2f}): if a price or the program changed on "
        "purpose, update PROD_TOTAL"
    )


def test_components_are_named_as_the_inventory_names_them(prod_run: Any, local_run: Any) -> None:
    for run in (prod_run, local_run):
        result = estimate(run.resources, run.stack)
        assert [c.name for c in result.components] == list(Inventory.of(run.resources).groups)


@pytest.mark.parametrize("stack", ["prod", "staging", "local"])
def test_every_registered_type_is_priced_or_listed_as_not_priced(stack: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(f"{stack}_run")
    result: CostEstimate = request.getfixturevalue(stack)
    listed = {n.type for n in result.not_priced}
    for r in run.resources:
        if r.custom or r.type.startswith("pulumi:providers:"):
            assert r.type in result.priced_types or r.type in listed, f"{r.type} is neither priced nor listed"
    unknown = [n.type for n in result.not_priced if n.reason == UNKNOWN_REASON]
    assert not unknown, f"give these types a price or a reason in stackcheck/insights/costs/not_priced.py: {unknown}"
    assert not [a for a in result.assumptions if "no price for" in a], "a price the stack needs is missing"
    if stack != "local":
        aws_types = {r.type for r in run.resources if r.type.startswith("aws:")}
        assert aws_types <= result.priced_types | listed


def test_prod_prices_what_the_program_says(prod: CostEstimate) -> None:
    instances = line(prod, DATABASE, "RDS postgres db.m7g.large, Multi-AZ")
    assert instances.quantity == 3 * HOURS_PER_MONTH
    assert instances.unit_price == pytest.approx(0.336)
    replicas = line(prod, DATABASE, "RDS postgres db.m7g.large, Single-AZ read replica")
    assert replicas.quantity == 6 * HOURS_PER_MONTH
    assert line(prod, DATABASE, "RDS gp3 storage, Single-AZ read replica").quantity == 600  # the sources' 100 GB each
    assert line(prod, DATABASE, "Performance Insights").monthly == 0
    cache = line(prod, "cache (webstack:aws:Cache)", "ElastiCache redis cache.r7g.large nodes (2)")
    assert cache.quantity == 2 * HOURS_PER_MONTH
    nat = line(prod, "network (webstack:aws:Network)", "NAT gateways (3)")
    assert nat.quantity == 3 * HOURS_PER_MONTH
    backend = line(prod, "web (webstack:aws:WebTier)", "Fargate vCPU, web-backend-service")
    assert backend.quantity == 3 * 1 * HOURS_PER_MONTH
    assert "x86_64" in backend.item
    plan = line(prod, "cdn (webstack:cloudflare:Cdn)", "Cloudflare business plan")
    assert plan.monthly == 200
    dr = [ln for c in prod.components for ln in c.lines if ln.region == "us-west-2"]
    assert dr
    assert all("(us-west-2)" in ln.item for ln in dr)


def test_staging_is_smaller_where_its_settings_say(prod: CostEstimate, staging: CostEstimate) -> None:
    assert line(staging, DATABASE, "RDS postgres db.t4g.medium, Single-AZ").quantity == HOURS_PER_MONTH
    assert line(staging, "network (webstack:aws:Network)", "NAT gateways (1)").quantity == HOURS_PER_MONTH
    assert not [c for c in staging.components if c.name.startswith("cdn ")]
    for name in (DATABASE, "cache (webstack:aws:Cache)", "network (webstack:aws:Network)"):
        assert component(staging, name).monthly < component(prod, name).monthly


# -- how prices follow the program ----------------------------------------------------------------------------------
def test_multi_az_doubles_the_rds_instance_line() -> None:
    single = line(estimate(sharded_database(1, multi_az=False), "t"), DATABASE, "RDS postgres db.m7g.large, Single-AZ")
    multi = line(estimate(sharded_database(1, multi_az=True), "t"), DATABASE, "RDS postgres db.m7g.large, Multi-AZ")
    assert single.quantity == multi.quantity == HOURS_PER_MONTH
    assert multi.unit_price == pytest.approx(2 * single.unit_price)
    assert multi.monthly == pytest.approx(2 * single.monthly, abs=0.01)


@pytest.mark.parametrize("shards", [2, 3, 5])
def test_shards_raise_the_database_cost_proportionally(shards: int) -> None:
    one = component(estimate(sharded_database(1, replicas=2), "t"), DATABASE).monthly
    many = component(estimate(sharded_database(shards, replicas=2), "t"), DATABASE).monthly
    assert one > 0
    assert many == pytest.approx(shards * one, abs=0.01 * shards)


def test_a_fourth_shard_in_the_recorded_prod_stack_adds_a_third(prod_run: Any, prod: CostEstimate) -> None:
    extra = [_renamed(r, "database-shard-0", "database-shard-3") for r in prod_run.resources if _in_shard_0(r)]
    assert extra, "the recorded prod stack has no database-shard-0"
    scaled = estimate([*prod_run.resources, *extra], "prod")
    before, after = component(prod, DATABASE).monthly, component(scaled, DATABASE).monthly
    assert after == pytest.approx(before * 4 / 3, abs=0.05)


def _in_shard_0(r: RecordedResource) -> bool:
    return r.name == "database-shard-0" or r.parent.endswith("::database-shard-0")


def _renamed(r: RecordedResource, old: str, new: str) -> RecordedResource:
    fields = json.loads(json.dumps(r.__dict__, default=str).replace(old, new))
    return RecordedResource(**fields)


def test_a_price_missing_from_the_table_counts_as_zero_and_says_so() -> None:
    top = resource("webstack:aws:Database", "db", custom=False)
    odd = resource("aws:rds/instance:Instance", "db-primary", top, engine="postgres", instanceClass="db.x2g.large")
    result = estimate([provider(), top, odd], "t")
    instance = line(result, "db (webstack:aws:Database)", "RDS postgres db.x2g.large, Single-AZ")
    assert instance.monthly == 0
    assert "no price for rds.postgres.db.x2g.large.hour" in instance.assumption
    assert any("no price for rds.postgres.db.x2g.large.hour" in a for a in result.assumptions)


def test_logs_kept_forever_count_a_year() -> None:
    top = resource("webstack:aws:Monitoring", "monitoring", custom=False)
    logs = resource("aws:cloudwatch/logGroup:LogGroup", "monitoring-logs", top, name="/app")
    result = estimate([provider(), top, logs], "t")
    stored = line(result, "monitoring (webstack:aws:Monitoring)", "CloudWatch Logs storage, /app")
    assert stored.quantity == pytest.approx(120)
    assert any(a.startswith("LOG_UNLIMITED_MONTHS = 12") for a in result.assumptions)


def test_a_declared_cloudflare_plan_wins_over_the_inferred_one() -> None:
    cdn = resource("webstack:cloudflare:Cdn", "cdn", custom=False, plan="pro")
    setting = resource("cloudflare:index/zoneSetting:ZoneSetting", "cdn-ssl", cdn, zoneId="z1", settingId="ssl")
    result = estimate([cdn, setting], "t")
    plan = line(result, "cdn (webstack:cloudflare:Cdn)", "Cloudflare pro plan, zone z1")
    assert plan.monthly == 20


def test_the_estimate_is_deterministic(prod_run: Any, prod: CostEstimate) -> None:
    again = estimate(list(reversed(prod_run.resources)), "prod")
    assert again.to_json() == prod.to_json()
    assert again.markdown() == prod.markdown()


# -- the views ------------------------------------------------------------------------------------------------------
def _markdown_rows(markdown: str, header: str) -> list[list[str]]:
    """The rows of the table that follows ``header`` (a line of the markdown)."""
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for text in lines[start + 2 :]:  # skip the header row and the rule
        if not text.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", text)[1:-1]])
    return rows


def test_json_and_markdown_agree(prod: CostEstimate) -> None:
    doc = json.loads(json.dumps(prod.to_json()))
    markdown = prod.markdown()
    assert markdown.startswith("## Monthly cost estimate\n")
    summary = _markdown_rows(markdown, "| Component | Monthly (USD) |")
    expected = [[c["name"], f"{c['monthly']:,.2f}"] for c in doc["components"]]
    assert summary[:-1] == expected
    assert summary[-1] == ["**Total**", f"**{doc['total']:,.2f}**"]
    assert doc["total"] == pytest.approx(sum(c["monthly"] for c in doc["components"]), abs=1e-9)
    for c in doc["components"]:
        assert c["monthly"] == pytest.approx(sum(ln["monthly"] for ln in c["lines"]), abs=1e-9)
        if not c["lines"]:
            continue
        rows = _markdown_rows(
            markdown[markdown.index(f"### {c['name']}: USD") :],
            "| Item | Quantity | Unit | Unit price | Monthly | Assumption | Price source |",
        )
        assert [(r[0], r[4], r[5], r[6]) for r in rows] == [
            (ln["item"], f"{ln['monthly']:,.2f}", ln["assumption"], ln["source"]) for ln in c["lines"]
        ]
    for assumption in doc["assumptions"]:
        assert f"- {assumption}" in markdown
    assert doc["prices"]["asOf"] in markdown
    assert "not re-checked" in markdown


def test_json_money_is_in_cents(prod: CostEstimate) -> None:
    doc = prod.to_json()
    amounts = [doc["total"]] + [c["monthly"] for c in doc["components"]]
    amounts += [ln["monthly"] for c in doc["components"] for ln in c["lines"]]
    assert all(round(amount, 2) == amount for amount in amounts)
    assert doc["currency"] == "USD"
    assert doc["region"] == "us-east-1"
    assert {n["type"] for n in doc["notPriced"]} >= {"aws:iam/role:Role", "aws:ec2/vpc:Vpc"}


def test_the_text_view_lists_components_the_total_and_the_assumptions(prod: CostEstimate, local: CostEstimate) -> None:
    text = prod.text()
    assert text[0].startswith("USD a month at us-east-1 on-demand list prices as of ")
    assert any(row.split()[0] == "total" and row.endswith(f"{PROD_TOTAL:,.2f}") for row in text)
    assert "Assumptions" in text
    assert any("NAT_GB_PER_GATEWAY = 100" in row for row in text)
    assert any(DOCKER_ASSUMPTION in row for row in local.text())


def test_largest_lines_come_first(prod: CostEstimate) -> None:
    largest = prod.largest_lines(3)
    assert len(largest) == 3
    assert [ln.monthly for _, ln in largest] == sorted((ln.monthly for _, ln in largest), reverse=True)
    assert largest[0][0] == DATABASE


def test_an_empty_stack_costs_nothing() -> None:
    result = estimate([], "empty")
    assert result.total == 0
    assert result.components == []
    assert result.assumptions == []
    assert "## Monthly cost estimate" in result.markdown()
