"""The one form of a component's error about its own Args: it names the Args field as a Python program writes it
(``DatabaseArgs.replicas must be between 0 and 5, got 7``); a stack's settings are checked earlier, in
``components/settings/``, naming the config key."""


def invalid(args: object, field: str, rule: str, got: object) -> ValueError:
    """``<ArgsType>.<field> must <rule>, got <got>``."""
    return ValueError(f"{type(args).__name__}.{field} must {rule}, got {got!r}")
