"""stackcheck's engine: it runs the program of a stack offline and evaluates the policy pack on what it registered.

- :mod:`~stackcheck.engine.project`: ``Pulumi.yaml``, ``Pulumi.<stack>.yaml`` and the policy pack's
  ``PulumiPolicy.yaml``;
- :mod:`~stackcheck.engine.mocks` (with :mod:`~stackcheck.engine.cloud`, the mocked account's answers): the Pulumi
  runtime's mocks and the monitor that records every registration;
- :mod:`~stackcheck.engine.resources`: what a run recorded, and how secrets are kept out of what is shown;
- :mod:`~stackcheck.engine.run`: one run of the program under the mocks;
- :mod:`~stackcheck.engine.state`: the same records read from a ``pulumi stack export`` instead;
- :mod:`~stackcheck.engine.evaluate`: the policy pack run on the records, as CrossGuard runs it;
- :mod:`~stackcheck.engine.inventory`: the records grouped by the top-level component that owns them.

The engine never imports :mod:`stackcheck.insights` (what a reviewer is shown of a run): a test holds it to that.
"""
