"""Helpers the GitHub workflows call: the stackcheck job summary, the drift report and issue, the smoke test.

Each is a small module with a ``main`` so that workflows stay a list of plain steps and the logic is tested.
"""
