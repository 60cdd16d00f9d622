"""stackcheck: the offline engine. Runs the whole Pulumi program of a stack against realistic mocks, records what it
registers, evaluates the policy pack on it and reports, with no cloud account and no Pulumi CLI.

Usage: ``python -m stackcheck STACK [--json] [--policy-config FILE] [--state FILE]``. Exit codes: 0 no mandatory
violation, 1 mandatory violations, 2 the program, its settings or a project file failed (one message on stderr).
"""
