"""The pull-request job summary from stackcheck's JSON documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.ci.summary import MAX_MESSAGE, main, summarize

URN = "urn:pulumi:staging::webstack::aws:rds/instance:Instance::database-shard-0-primary"


def document(exit_code: int = 0, violations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    violations = violations or []
    return {
        "stack": "staging",
        "policies": [
            {"name": "a", "status": "pass", "checklist": ["tls", "backups"]},
            {"name": "b", "status": "violated" if violations else "pass", "checklist": ["backups"]},
            {"name": "c", "status": "not applicable", "checklist": ["rate-limiting"]},
        ],
        "violations": violations,
        "summary": {
            "resources": 253,
            "policies": 3,
            "violations": {
                "mandatory": sum(v["enforcementLevel"] == "mandatory" for v in violations),
                "advisory": sum(v["enforcementLevel"] == "advisory" for v in violations),
            },
            "cost": {"total": 454.17, "currency": "USD"},
            "criticalPath": {"totalSeconds": 1607},
            "exitCode": exit_code,
        },
    }


def test_one_row_per_stack_with_verdict_counts_and_checklist_items() -> None:
    advisory = {"policy": "aws-rds-multi-az", "enforcementLevel": "advisory", "urn": URN, "message": "single | AZ"}
    text = summarize({"prod": document(), "staging": document(0, [advisory])})
    assert "| prod | passes | 253 | 3 | 0 | 0 | 2/2 | 454.17 | about 27 min |" in text
    assert "| staging | passes | 253 | 3 | 0 | 1 | 1/2 | 454.17 | about 27 min |" in text
    assert "| staging | advisory | `aws-rds-multi-az` | `database-shard-0-primary` | single \\| AZ |" in text
    assert "2 stacks: 2 pass, 0 blocked, 0 failed to run." in text


def test_blocked_and_failed_stacks_are_called_out_and_long_messages_cut() -> None:
    mandatory = {"policy": "p", "enforcementLevel": "mandatory", "urn": URN, "message": "x" * 1000}
    failed = {"stack": "qa", "error": "webstack:domain is required", "summary": {"exitCode": 2, "resources": 0}}
    text = summarize({"prod": document(1, [mandatory]), "qa": failed})
    assert "| prod | **blocked** (mandatory violations) |" in text
    assert "| qa | **failed to run** | 0 | - | - | - | - | - | - |" in text
    assert "**qa** did not run: webstack:domain is required" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| prod | mandatory |")]
    assert len(row) < MAX_MESSAGE + 100
    assert row.endswith("… |")


def test_main_reads_a_directory_of_documents(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "prod.json").write_text(json.dumps(document()))
    (tmp_path / "broken.json").write_text("{")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| prod | passes |" in out
    assert "**broken** did not run: broken.json is not valid JSON" in out
    assert main([str(tmp_path / "empty")]) == 2
