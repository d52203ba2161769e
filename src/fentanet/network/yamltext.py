"""YAML text read safely and strictly: the safe loader (no arbitrary objects) that refuses a
key given twice in one mapping (YAML requires keys to differ; PyYAML keeps the last silently
and drops, say, a first ``params`` section). Used for scenario files and generator specs."""

from __future__ import annotations

import typing
from typing import Any

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping."""


def _unique_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, typing.Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice in one mapping (a key may appear "
                    "once)", key_node.start_mark)
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def load(text: str) -> Any:
    """The document in ``text`` (raises :class:`yaml.YAMLError`, with the problem's mark)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
