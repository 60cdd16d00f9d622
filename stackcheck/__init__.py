"""stackcheck: the offline engine. Runs the whole Pulumi program of a stack against realistic mocks, records what it
registers, evaluates the policy pack on it and reports, with no cloud account and no Pulumi CLI.

Usage: ``python -m stackcheck STACK [--json] [--policy-config FILE] [--state FILE]``. Exit codes: 0 no mandatory
violation, 1 mandatory violations, 2 the program, its settings or a project file failed (one message on stderr).

Three parts under the command line (:mod:`~stackcheck.cli`) and its report (:mod:`~stackcheck.report`):
:mod:`stackcheck.engine` runs the program and evaluates the pack, :mod:`stackcheck.deployability` checks the stack
against AWS's published data, and :mod:`stackcheck.insights` is what a reviewer is shown (compliance, architecture,
cost, critical path). Neither of the first two imports the insights (``tests/stackcheck/test_layout.py``).
"""
