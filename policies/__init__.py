"""The webstack policy pack (``pulumi preview --policy-pack policies``). Rules live in ``policies/rules``."""
