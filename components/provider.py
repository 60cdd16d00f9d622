"""webstack's components as a Pulumi component package, for programs in other languages (TypeScript, Go, YAML, ...).

``pulumi package add`` on the repository's ``provider/`` folder (its ``PulumiPlugin.yaml`` runs :func:`main`)
generates an SDK from the schema Pulumi's component-provider analyzer infers from the components' Args and outputs;
each ``new webstack.Database(...)`` in such a program then runs the Python component inside this provider.

Two things differ from using a component from Python, and :func:`hosted` adapts them without changing the component:

- the provider's schema names every component ``<package>:index:<ClassName>`` (``webstack:index:Database``:
  pulumi/provider/experimental/schema.py), while the components register their own tokens
  (``webstack:aws:Database``): hosted, a component registers under the schema's token, so what a program asks for and
  what it gets are the same type;
- the provider hands the component its inputs as a dict of Python names (``ComponentProvider.map_inputs``), while
  webstack's components take an Args object: hosted, the dict becomes that Args object first.

One package cannot hold two components of the same class name (the analyzer refuses duplicates), so the package serves
every component of the aws platform (:data:`SERVED_AWS`), the Cdn and the certificate validation records it pairs
with; the docker platform's, named the same, stay Python-only (their schema is asserted all the same:
tests/components/test_docker_schema.py).
"""

import dataclasses
import inspect
import sys
from collections.abc import Mapping, Sequence
from types import UnionType
from typing import Any, NotRequired, Optional, TypedDict, Union, get_args, get_origin

import pulumi

#: The package's name: the first part of every token in its schema and the name ``pulumi package add`` gives the SDK.
PACKAGE = "webstack"


def hosted(component: type[pulumi.ComponentResource]) -> type[pulumi.ComponentResource]:
    """``component`` as the provider serves it: a subclass of the same name, documentation and outputs that registers
    under ``webstack:index:<Name>`` and accepts its Args as a mapping."""
    signature = inspect.get_annotations(component.__init__, eval_str=True)
    args_type = signature.get("args")
    if args_type is None:
        raise TypeError(f"{component.__name__}.__init__ needs an annotated `args` parameter to be hosted")
    token = f"{PACKAGE}:index:{component.__name__}"

    class _Registered(pulumi.ComponentResource):
        """Comes after ``component`` in the method resolution order: the component's own ``super().__init__(TYPE,
        ...)`` arrives here, and registers the schema's token instead of TYPE."""

        def __init__(
            self,
            t: str,
            name: str,
            props: Any = None,
            opts: pulumi.ResourceOptions | None = None,
            remote: bool = False,
        ) -> None:
            super().__init__(token, name, props=props, opts=opts, remote=remote)

    def __init__(self: Any, name: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> None:
        # The component's own signature (name, args, opts), not ComponentResource's.
        original: Any = component.__init__
        original(self, name, as_args(args_type, args), opts)

    # What the analyzer reads: the Args as they travel, a TypedDict in which a field with a default may be left out.
    wire = wire_type(args_type)
    __init__.__annotations__ = {"name": str, "args": wire, "opts": pulumi.ResourceOptions | None, "return": None}
    namespace = {
        "__init__": __init__,
        "__doc__": component.__doc__,
        # The analyzer reads the outputs' descriptions from the class's source: the component's own definition.
        "__module__": component.__module__,
        "__qualname__": component.__qualname__,
    }
    make: Any = type  # the order is component, then _Registered: checked at run time, not by the type checker
    return make(component.__name__, (component, _Registered), namespace)


def wire_type(args_type: Any) -> Any:
    """The schema's view of a dataclass Args: a TypedDict of the same name, module and documentation (the analyzer
    reads field descriptions from the class's source), each field with a default ``NotRequired``. The analyzer takes
    every annotated field of a plain class for required and reads no defaults (it marks optional only ``Optional``
    types and a TypedDict's ``NotRequired`` keys: pulumi/provider/experimental/analyzer.py, ``analyze_type``), so a
    dataclass would make every secure default a required input. Anything else is returned as it is."""
    if not (isinstance(args_type, type) and dataclasses.is_dataclass(args_type)):
        return args_type
    hints = _hints(args_type)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(args_type):
        annotation = _wire_annotation(hints.get(item.name, Any))
        has_default = item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
        fields[item.name] = NotRequired[annotation] if has_default else annotation
    wire = TypedDict(args_type.__name__, fields)  # type: ignore[misc]
    wire.__module__ = args_type.__module__
    wire.__qualname__ = args_type.__qualname__
    wire.__doc__ = args_type.__doc__
    return wire


def _wire_annotation(hint: Any) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return wire_type(hint)
    origin, parameters = get_origin(hint), get_args(hint)
    if origin in (list, Sequence) and len(parameters) == 1:
        return list[_wire_annotation(parameters[0])]  # type: ignore[misc]
    if origin in (dict, Mapping) and len(parameters) == 2:
        return dict[parameters[0], _wire_annotation(parameters[1])]  # type: ignore[misc]
    if origin in (Union, UnionType) and type(None) in parameters:
        inner = [_wire_annotation(p) for p in parameters if p is not type(None)]
        return Optional[Union[tuple(inner)]] if len(inner) > 1 else Optional[inner[0]]  # noqa: UP007, UP045
    return hint


def as_args(args_type: Any, value: Any) -> Any:
    """``value`` (the provider's mapping of Python names, nested Args as mappings too, in lists and maps as
    :func:`wire_type` describes them) as an ``args_type``; anything else is returned as it is (a Python program's own
    Args object)."""
    if not isinstance(value, Mapping) or not (isinstance(args_type, type) and dataclasses.is_dataclass(args_type)):
        return value
    hints = _hints(args_type)
    fields = {f.name for f in dataclasses.fields(args_type)}
    unknown = sorted(set(value) - fields)
    if unknown:
        raise ValueError(f"{args_type.__name__} has no field {', '.join(unknown)}")
    return args_type(**{key: _nested(hints.get(key), item) for key, item in value.items()})


def _nested(hint: Any, value: Any) -> Any:
    for candidate in (hint, *getattr(hint, "__args__", ())):
        if isinstance(candidate, type) and dataclasses.is_dataclass(candidate) and isinstance(value, Mapping):
            return as_args(candidate, value)
        origin = getattr(candidate, "__origin__", None)
        if origin in (list, Sequence) and isinstance(value, list):
            (item,) = get_args(candidate)
            return [_nested(item, v) for v in value]
        if origin in (dict, Mapping) and isinstance(value, Mapping):
            _, item = get_args(candidate)
            return {key: _nested(item, v) for key, v in value.items()}
    return value


def _hints(args_type: type) -> dict[str, Any]:
    module = sys.modules.get(args_type.__module__)
    try:
        return inspect.get_annotations(args_type, eval_str=True, globals=vars(module) if module else None)
    except NameError:
        return {}


#: The aws platform's components the package serves: every one, since each takes flat Args in the analyzer's reach
#: (strings, numbers, lists, maps, nested Args and pulumi-aws resources); tests/packaging/test_provider.py fails when
#: a component of ``webstack.aws`` is missing here or falls out of the analyzer's reach.
SERVED_AWS = (
    "AppSecrets",
    "Backups",
    "Cache",
    "Database",
    "DatabaseBootstrap",
    "Dns",
    "Keys",
    "LoadBalancer",
    "LogArchive",
    "Monitoring",
    "Network",
    "Notifications",
    "ObjectStorage",
    "OneOffTask",
    "Operations",
    "PersistentFiles",
    "Prometheus",
    "Service",
    "ShardedDatabase",
    "WebTier",
)


def components() -> list[type[pulumi.ComponentResource]]:
    """The components the package serves, hosted: :data:`SERVED_AWS`, the Cdn and the certificate validation records
    (an ACM certificate validated in the Cdn's zone)."""
    from . import aws
    from .cdn import Cdn
    from .cdn_validation import CertificateValidationRecords

    return [*(hosted(getattr(aws, name)) for name in SERVED_AWS), hosted(Cdn), hosted(CertificateValidationRecords)]


def main() -> None:
    """Serve the package to the Pulumi engine (what ``provider/__main__.py`` runs)."""
    from pulumi.provider.experimental import component_provider_host

    from . import __version__

    component_provider_host(components=components(), name=PACKAGE, version=__version__)
