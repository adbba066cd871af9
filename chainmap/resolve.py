"""Names, not ids: resolve what a person types to the id a machine reads.

Staff type ``智能座舱``, ``永济市``, ``永济``, ``补链`` or ``汽`` where the code wants
``qi.cockpit``, ``yongji``, ``fill`` or ``qi``.  Each resolver accepts the id, the
Chinese and English names, and common short forms (``永济`` for 永济市, ``盐湖`` for
盐湖区, ``运城经开区`` for 运城经济技术开发区, a chain's 合汽生材 letter), compared after
NFKC and case folding; on a miss it raises :class:`~chainmap.exceptions.NotFound`
naming the value, with the closest names as suggestions.  One place for this rule:
the service layer calls it, so every front door (CLI, API, web page) accepts the same
names.

>>> r = Resolver("status", [("fill", ["补链", "fill gap"]), ("sound", ["健全"])])
>>> r.resolve("补链"), r.resolve("FILL"), r.resolve(" 健全 ")
('fill', 'fill', 'sound')
>>> r.resolve("补")
Traceback (most recent call last):
...
chainmap.exceptions.NotFound: status: unknown status '补'; did you mean: 补链 (fill)?

A part of a name (two characters or more) that only one entry's names contain names that
entry (``隔膜`` for 锂电池隔膜); a part that several contain is refused with every match listed:

>>> s = Resolver("segment", [("qi.separator", ["锂电池隔膜"]), ("qi.cell", ["电芯", "电池电芯"]), ("qi.pack", ["电池包"])])
>>> s.resolve("隔膜")
'qi.separator'
>>> s.resolve("电池")
Traceback (most recent call last):
...
chainmap.exceptions.NotFound: segment: segment '电池' is part of several names: 电池包 (qi.pack), 电芯 (qi.cell), 锂电池隔膜 (qi.separator); give the whole name or the id
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from chainmap.exceptions import ChainmapError, NotFound
from chainmap.models import Chain, Region, RegionKind, Segment

__all__ = [
    "Resolver",
    "chain_resolver",
    "region_resolver",
    "segment_resolver",
    "status_resolver",
    "region_short_names",
]

_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


class Resolver:
    """Maps ids, names and short names to ids.

    ``entries`` are ``(id, names)``; the id itself always resolves.  A name shared by
    two ids is ambiguous and resolves to neither (the error lists both).  ``what`` names
    the kind of thing in messages (``chain``, ``region`` …); ``field`` the parameter.
    """

    def __init__(
        self,
        what: str,
        entries: Iterable[tuple[str, Iterable[str]]],
        *,
        field: str | None = None,
        error: type[ChainmapError] = NotFound,
    ) -> None:
        self.what = what
        self.error = error
        self.field = field or what
        listed = [(ident, [n for n in names if n]) for ident, names in entries]
        self.ids: tuple[str, ...] = tuple(ident for ident, _ in listed)
        self._display = {ident: (names[0] if names else ident) for ident, names in listed}
        self._by_key = {_key(ident): ident for ident in self.ids}  # ids win over names
        self._names: dict[str, str] = {}
        self._ambiguous: dict[str, set[str]] = {}
        for ident, names in listed:
            for n in names:
                k = _key(n)
                if k in self._by_key:
                    continue
                owner = self._names.get(k)
                if owner is None and k not in self._ambiguous:
                    self._names[k] = ident
                elif owner is not None and owner != ident:
                    self._ambiguous[k] = {owner, ident}
                    del self._names[k]
                elif k in self._ambiguous:
                    self._ambiguous[k].add(ident)

    def get(self, text: str) -> str | None:
        """The id ``text`` names, or None."""
        k = _key(text)
        return self._by_key.get(k) or self._names.get(k)

    def resolve(self, text: str) -> str:
        """The id ``text`` names; NotFound with suggestions otherwise."""
        found = self.get(text)
        if found is not None:
            return found
        k = _key(text)
        if k in self._ambiguous:
            opts = ", ".join(f"{self._display[i]} ({i})" for i in sorted(self._ambiguous[k]))
            raise self.error(f"{self.what} {text!r} is ambiguous: {opts}; give the id", field=self.field)
        part_of = self._containing(k)
        if len(part_of) == 1:
            return part_of.pop()
        if part_of:
            opts = ", ".join(f"{self._display[i]} ({i})" for i in sorted(part_of, key=lambda i: (self._display[i], i)))
            raise self.error(f"{self.what} {text!r} is part of several names: {opts}; give the whole name or the id", field=self.field)
        raise self.error(f"unknown {self.what} {text!r}{self._suggest(k)}", field=self.field)

    def _containing(self, k: str) -> set[str]:
        """The ids one of whose names contains ``k`` (two characters or more)."""
        if len(k) < 2:
            return set()
        found = {ident for key, ident in self._names.items() if k in key}
        for key, idents in self._ambiguous.items():
            if k in key:
                found |= idents
        return found

    def _suggest(self, k: str) -> str:
        keys = {**self._names, **self._by_key}
        near = [keys[m] for m in difflib.get_close_matches(k, list(keys), n=5, cutoff=0.5)]
        near += [i for key, i in keys.items() if k and (k in key or key in k)]
        uniq = list(dict.fromkeys(near))[:5]
        if uniq:
            return "; did you mean: " + ", ".join(f"{self._display[i]} ({i})" for i in uniq) + "?"
        shown = ", ".join(f"{self._display[i]} ({i})" for i in self.ids[:20])
        more = f" … ({len(self.ids)} in all)" if len(self.ids) > 20 else ""
        return f"; valid: {shown}{more}" if shown else "; none are defined"


def _make(
    what: str, entries: list[tuple[str, list[str]]], field: str | None, error: type[ChainmapError] = NotFound
) -> Resolver:
    return Resolver(what, entries, field=field, error=error)


_ZONE_SHORT = (("经济技术开发区", ("经开区", "开发区")), ("高新技术产业开发区", ("高新区", "开发区")),
               ("经济开发区", ("开发区",)), ("工业园区", ("园区",)))  # fmt: skip


def region_short_names(region: Region) -> list[str]:
    """Common short forms of a region's Chinese name.

    >>> from chainmap.models import Region
    >>> region_short_names(Region(id="yongji", kind="county", name_zh="永济市", name_en="Yongji"))
    ['永济']
    >>> region_short_names(Region(id="z", kind="zone", name_zh="运城经济技术开发区", name_en="Z", county="yanhu"))
    ['运城经开区', '运城开发区']
    >>> region_short_names(Region(id="xia", kind="county", name_zh="夏县", name_en="Xia County"))
    []
    """
    name = region.name_zh
    out: list[str] = []
    if region.kind is RegionKind.zone:
        for long, shorts in _ZONE_SHORT:
            if name.endswith(long):
                out += [name[: -len(long)] + s for s in shorts]
                break
    elif len(name) >= 3 and name[-1] in "县市区":
        out.append(name[:-1])
    return out


def region_resolver(regions: Iterable[Region], *, field: str = "region") -> Resolver:
    """Regions by id, Chinese / English name and short forms (``永济``, ``运城经开区``)."""
    entries = [(r.id, [n for n in (r.name_zh, r.name_en, *region_short_names(r)) if n]) for r in regions]
    return _make("region", entries, field)


def chain_resolver(chains: Iterable[Chain], *, field: str = "chain") -> Resolver:
    """Chains by id, names and the 合汽生材 letter of a top-level chain."""
    entries: list[tuple[str, list[str]]] = []
    for c in chains:
        names = [n for n in (c.name_zh, c.name_en) if n]
        if c.parent is None and c.letter:
            names.append(c.letter)
        entries.append((c.id, names))
    return _make("chain", entries, field)


def segment_resolver(segments: Iterable[Segment], *, field: str = "segment") -> Resolver:
    """Segments by id, Chinese / English name and aliases."""
    entries = [(s.id, [n for n in (s.name_zh, s.name_en, *s.aliases) if n]) for s in segments]
    return _make("segment", entries, field)


def status_resolver(labels: dict[str, tuple[str, str]], *, field: str = "type") -> Resolver:
    """Gap statuses (``fill`` / 补链 …) from a label table ``code -> (zh, en)``; a miss is
    InvalidInput (a bad value of a parameter, not a missing resource)."""
    from chainmap.exceptions import InvalidInput

    return _make("status", [(code, [zh, en]) for code, (zh, en) in labels.items()], field, InvalidInput)
