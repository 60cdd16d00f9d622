"""What a reviewer is shown of a stack before anything is deployed, computed from the engine's records.

- :mod:`~stackcheck.insights.compliance`: every checklist item, the rules that check it and their status;
- :mod:`~stackcheck.insights.diagram`: the architecture, component by component, with its flows and trust zones;
- :mod:`~stackcheck.insights.costs`: the monthly cost estimate, one module per service family;
- :mod:`~stackcheck.insights.critical_path`: the longest chain of a fresh ``pulumi up``;
- :mod:`~stackcheck.insights.overview`: the last three together, as the text report and ``--diagram FILE.md`` show
  them.

Insights read what :mod:`stackcheck.engine` recorded; the engine never imports them.
"""
