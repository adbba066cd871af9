"""YAML loading with alias, depth and expanded-size budgets (billion laughs refused)."""

from __future__ import annotations

import io
from typing import Any, ClassVar, TypeVar

import yaml

from chainmap.exceptions import InvalidInput, LimitExceeded
from chainmap.limits.settings import DEFAULT_LIMITS, Limits, _exceeded


class LimitedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses deep nesting, many aliases and exponential alias expansion.

    Budgets come from the class attribute ``limits``; :func:`limited_loader`
    makes a subclass with other limits. Subclass it (the seed loader's
    line-tracking loader does) to keep these checks. The checks run while the
    document is composed, before any Python object is built, so a "billion
    laughs" file is refused after reading only its few kilobytes.

    Raises :class:`LimitExceeded` (not a ``yaml.YAMLError``) with ``line``.
    """

    limits: ClassVar[Limits] = DEFAULT_LIMITS

    def __init__(self, stream: str | bytes | io.IOBase) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._nodes = 0

    def _fail(self, what: str, name: str, mark: Any) -> LimitExceeded:
        line = mark.line + 1 if mark is not None else None
        return _exceeded(what, name, self.limits, line=line)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        lim = self.limits
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > lim.yaml_max_aliases:
                raise self._fail(f"yaml: more than {lim.yaml_max_aliases:,} aliases", "yaml_max_aliases",
                                 self.peek_event().start_mark)  # fmt: skip
            return super().compose_node(parent, index)
        self._nodes += 1
        if self._nodes > lim.yaml_max_nodes:
            raise self._fail(f"yaml: more than {lim.yaml_max_nodes:,} nodes", "yaml_max_nodes",
                             self.peek_event().start_mark)  # fmt: skip
        self._depth += 1
        try:
            if self._depth > lim.yaml_max_depth:
                raise self._fail(f"yaml: nested deeper than {lim.yaml_max_depth:,} levels", "yaml_max_depth",
                                 self.peek_event().start_mark)  # fmt: skip
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None:
            self._check_expansion(node)
        return node

    def _check_expansion(self, root: yaml.Node) -> None:
        """Size and depth of the document with every alias expanded, computed once per distinct node."""
        lim = self.limits
        size: dict[int, int] = {}
        depth: dict[int, int] = {}
        on_path: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            nid = id(node)
            kids = _children(node)
            if done:
                on_path.discard(nid)
                s = 1 + sum(size[id(k)] for k in kids)
                d = 1 + max((depth[id(k)] for k in kids), default=0)
                if s > lim.yaml_max_nodes:
                    raise self._fail(
                        f"yaml: more than {lim.yaml_max_nodes:,} nodes once aliases are expanded",
                        "yaml_max_nodes",
                        node.start_mark,
                    )
                if d > lim.yaml_max_depth:
                    raise self._fail(
                        f"yaml: nested deeper than {lim.yaml_max_depth:,} levels once aliases are expanded",
                        "yaml_max_depth",
                        node.start_mark,
                    )
                size[nid] = s
                depth[nid] = d
                continue
            if nid in size:
                continue
            if nid in on_path:
                mark = node.start_mark
                raise InvalidInput("yaml: recursive alias (a node contains itself)", line=mark.line + 1)
            on_path.add(nid)
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_L = TypeVar("_L", bound=LimitedSafeLoader)


def limited_loader(base: type[_L], limits: Limits) -> type[_L]:
    """A subclass of ``base`` (a :class:`LimitedSafeLoader`) using ``limits``."""
    if base.limits == limits:
        return base
    return type(base.__name__, (base,), {"limits": limits})


def safe_yaml_load(
    text: str | bytes,
    limits: Limits | None = None,
    *,
    loader: type[LimitedSafeLoader] = LimitedSafeLoader,
    filename: str | None = None,
) -> Any:
    """``yaml.safe_load`` with the budgets of :class:`LimitedSafeLoader`.

    Raises
    ------
    LimitExceeded
        Too deep, too many aliases or nodes (aliases expanded); ``line`` in the context.
    InvalidInput
        A YAML syntax error (with its line) or a recursive alias.

    >>> safe_yaml_load("a: [[[1]]]", Limits(yaml_max_depth=3), filename="x.yaml")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.LimitExceeded: x.yaml:1: yaml: nested deeper than 3 levels (limit CHAINMAP_LIMIT_YAML_DEPTH)
    """
    cls = limited_loader(loader, limits) if limits is not None else loader
    ldr = cls(text)
    try:
        return ldr.get_single_data()
    except InvalidInput as e:  # LimitExceeded included: name the file
        if filename is not None:
            e.context["file"] = filename
            e.args = (e._render(),)
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InvalidInput(f"YAML syntax error: {e}", file=filename, line=mark.line + 1 if mark else None) from None
    finally:
        ldr.dispose()

