"""Read and validate the chain-graph seed (``graph_seed/``) into models.

Validation is all-or-nothing: :func:`load_seed` either returns a complete
:class:`ChainData` or raises :class:`~chainmap.exceptions.InvalidInput` whose
message names the file, the line and the field of the first problem and whose
``problems`` list holds all of them.

Checked: YAML/CSV syntax, field types and enums (via the pydantic models),
duplicate ids, unknown chain / parent / segment / region references (also those of
the policies in ``policies.yaml``), duplicate links, ``part_of`` cycles, zone-county
consistency, credit codes, segment ids starting with their chain id.

One root error per cause: a YAML/CSV syntax error is reported alone (nothing else is
checked, since every later check would only repeat it); an entry that fails its own
validation does not also produce an "unknown ..." error in every entry referring to it;
an unknown reference is reported once per distinct value, with the number of entries
using it and the valid values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import yaml
from pydantic import BaseModel, ValidationError

from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput
from chainmap.limits import LimitedSafeLoader, Limits, limited_loader
from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, RegionKind, Segment
from chainmap.policies import POLICY_RECORD_KIND, Policy, policy_record

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = [
    "SeedProblem",
    "load_seed",
    "seed_dir",
    "validate_data",
    "load_into_store",
    "link_counts",
    "SEED_FILES",
    "REQUIRED_SEED_FILES",
    "check_vocabulary",
]

SEED_FILES = ("chains.yaml", "regions.yaml", "segments/*.yaml", "links.csv", "enterprises.yaml", "policies.yaml")
#: Files a seed folder must have; the others are optional (see ``graph_seed/README.md``).
REQUIRED_SEED_FILES = ("chains.yaml", "regions.yaml", "segments/*.yaml")


@dataclass(frozen=True)
class SeedProblem:
    """One validation problem, located in a file."""

    file: str
    line: int | None
    field: str | None
    message: str
    syntax: bool = False  # a file that could not be parsed at all: reported alone

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fld = f" {self.field}:" if self.field else ""
        return f"{where}:{fld} {self.message}"


def seed_dir() -> Path:
    """Folder of the shipped seed (package data of ``graph_seed``)."""
    return Path(str(resources.files("graph_seed")))


# ------------------------------------------------------------------ reading


class _LineLoader(LimitedSafeLoader):
    """SafeLoader that records the line of every mapping and of its keys.

    A :class:`~chainmap.limits.LimitedSafeLoader`: nesting depth, alias count and
    the alias-expanded size are bounded, so a few KB of nested aliases (a YAML
    "billion laughs") is a seed problem, not gigabytes of memory.
    """


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    lines = {}
    for key_node, _ in node.value:
        lines[str(loader.construct_object(key_node))] = key_node.start_mark.line + 1
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml_list(
    path: Path, rel: str, problems: list[SeedProblem], limits: Limits | None = None
) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(SeedProblem(rel, None, None, f"cannot read file: {e}"))
        return []
    loader = limited_loader(_LineLoader, limits) if limits is not None else _LineLoader
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
    except InvalidInput as e:  # a parser budget (LimitExceeded, naming the setting) or a recursive alias
        problems.append(SeedProblem(rel, e.context.get("line"), None, e.message, syntax=True))
        return []
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        col = f", column {mark.column + 1}" if mark else ""
        problems.append(
            SeedProblem(rel, mark.line + 1 if mark else None, None, f"YAML syntax error{col}: {problem}", syntax=True)
        )
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(SeedProblem(rel, 1, None, "expected a YAML list of mappings at top level", syntax=True))
        return []
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(SeedProblem(rel, None, None, f"item {i + 1}: expected a mapping, got {type(item).__name__}"))
            continue
        out.append(item)
    return out


def _read_links_csv(path: Path, rel: str, problems: list[SeedProblem]) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(SeedProblem(rel, None, None, f"cannot read file: {e}"))
        return []
    lines = text.splitlines()
    rows: list[dict[str, Any]] = []
    header: list[str] | None = None
    expected = ["source", "target", "kind", "weight", "note", "sources"]
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = next(csv.reader(io.StringIO(raw)))
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in ("source", "target") if c not in header]
            unknown = [c for c in header if c not in expected]
            if missing or unknown:
                problems.append(
                    SeedProblem(
                        rel, lineno, "header", f"expected columns {','.join(expected)}; got {','.join(header)}",
                        syntax=True,
                    )
                )
                return []
            continue
        if len(cells) > len(header):
            problems.append(SeedProblem(rel, lineno, None, f"{len(cells)} cells but the header has {len(header)}"))
            continue
        row: dict[str, Any] = dict(zip(header, (c.strip() for c in cells), strict=False))
        row["__line__"] = lineno
        row["__lines__"] = {}
        rows.append(row)
    return rows


def _clean(value: Any) -> Any:
    """Remove the loader's line bookkeeping from nested values."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in ("__line__", "__lines__")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _locate(item: Any, loc: list[str], default: int | None) -> int | None:
    """Line of the deepest part of ``loc`` found in the (un-cleaned) item."""
    line = default
    cur = item
    for part in loc:
        if isinstance(cur, dict):
            line = cur.get("__lines__", {}).get(part, cur.get("__line__", line))
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
            if isinstance(cur, dict):
                line = cur.get("__line__", line)
        else:
            break
    return line


def _build(
    model: type[BaseModel],
    item: dict[str, Any],
    rel: str,
    problems: list[SeedProblem],
    known_bad: dict[str, set[str]] | None = None,
) -> BaseModel | None:
    """Validate one entry; ``known_bad`` maps a field to values already reported as invalid
    entries elsewhere (a segment's ``chain`` naming a chain that failed): no error again."""
    line = item.get("__line__")
    try:
        return model.model_validate(_clean(item))
    except ValidationError as e:
        for err in e.errors():
            loc = [str(x) for x in err["loc"]]
            if len(loc) == 1 and known_bad and str(item.get(loc[0], "")).strip() in known_bad.get(loc[0], set()):
                continue
            fld = ".".join(loc) if loc else None
            fline = _locate(item, loc, line)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            elif err["type"] == "string_pattern_mismatch":
                msg = (
                    f"{err.get('input')!r} is not a valid id: lower-case ASCII letters, digits, '_' or '-', "
                    "parts joined by '.' (e.g. qi.battery)"
                )
            problems.append(SeedProblem(rel, fline, fld, msg))
        return None


def _link_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("__")}
    out["kind"] = out.get("kind") or "supplies"
    out["weight"] = out.get("weight") or None
    out["sources"] = [s.strip() for s in (out.get("sources") or "").split(";") if s.strip()]
    out["note"] = out.get("note") or ""
    return {**out, "__line__": row["__line__"], "__lines__": {}}


def load_seed(path: str | Path | None = None, *, limits: Limits | None = None) -> ChainData:
    """Load and validate a seed folder (default: the shipped ``graph_seed``).

    ``limits`` bounds the YAML parser (default :class:`~chainmap.limits.Limits`).

    Raises
    ------
    InvalidInput
        On any problem; ``str(err)`` names file, line and field of the first one,
        ``err.context["problems"]`` lists all of them as strings.
    """
    root = Path(path) if path is not None else seed_dir()
    if not root.is_dir():
        raise InvalidInput(f"seed folder not found: {root}", field="path", hint="give the folder holding chains.yaml")
    problems: list[SeedProblem] = []
    origin: dict[tuple[str, str], tuple[str, int | None]] = {}
    invalid: dict[str, set[str]] = {}  # kind -> ids of entries that failed their own validation

    def read_models(rel: str, model: type[BaseModel], kind: str, required: bool = True) -> list[Any]:
        p = root / rel
        if not p.exists():
            if required:
                problems.append(SeedProblem(rel, None, None, "file missing"))
            return []
        out = []
        known_bad = {"chain": invalid.get("chain", set()), "parent": invalid.get(kind, set())}
        for item in _read_yaml_list(p, rel, problems, limits):
            obj = _build(model, item, rel, problems, known_bad)
            if obj is not None:
                out.append(obj)
                oid = str(getattr(obj, "id", None) or getattr(obj, "name", ""))
                origin[(kind, oid)] = (rel, item.get("__line__"))
            elif isinstance(item.get("id"), str):
                invalid.setdefault(kind, set()).add(item["id"].strip())
        return out

    chains: list[Chain] = read_models("chains.yaml", Chain, "chain")
    regions: list[Region] = read_models("regions.yaml", Region, "region")
    segments: list[Segment] = []
    seg_dir = root / "segments"
    if not seg_dir.is_dir():
        problems.append(SeedProblem("segments/", None, None, "folder missing"))
    else:
        for p in sorted(seg_dir.glob("*.yaml")):
            segments.extend(read_models(f"segments/{p.name}", Segment, "segment"))
    enterprises: list[Enterprise] = read_models("enterprises.yaml", Enterprise, "enterprise", required=False)
    policies: list[Policy] = read_models("policies.yaml", Policy, "policy", required=False)
    links: list[Link] = []
    if (root / "links.csv").exists():
        for row in _read_links_csv(root / "links.csv", "links.csv", problems):
            obj = _build(Link, _link_row(row), "links.csv", problems)
            if obj is not None:
                links.append(obj)  # type: ignore[arg-type]
                origin[("link", f"{obj.source}->{obj.target}")] = ("links.csv", row["__line__"])  # type: ignore[attr-defined]
    syntax = [p for p in problems if p.syntax]
    if syntax:  # alone: every other check would only echo an unparsed file
        problems = syntax
    else:
        data = ChainData(chains, regions, segments, links, enterprises, origin, policies=policies)
        problems.extend(validate_data(data, invalid=invalid))
        if not problems:  # the vocabulary names segments: checked once the graph itself is valid
            problems.extend(check_vocabulary(root, data))
    if problems:
        first = problems[0]
        raise InvalidInput(
            first.message,
            file=first.file,
            line=first.line,
            field=first.field,
            problems=[str(p) for p in problems],
            hint=f"{len(problems)} problem(s) in seed {root}",
        )
    return data


def link_counts(data: ChainData) -> dict[str, int]:
    """The one link count of a seed, as ``seed check``, ``seed load`` and the README give it.

    ``links``: rows of ``links.csv``; ``parent_links``: the implicit ``part_of`` link of
    each segment with a ``parent`` (not also written in ``links.csv``); ``total``: both,
    the edges of the chain graph; ``cross_chain``: edges between top-level chains.
    """
    explicit = {(ln.source, ln.target) for ln in data.links}
    parent = sum(1 for s in data.segments if s.parent and (s.id, s.parent) not in explicit)
    G = data.graph
    return {
        "links": len(data.links),
        "parent_links": parent,
        "total": G.number_of_edges(),
        "cross_chain": sum(1 for _, _, d in G.edges(data=True) if d["cross_chain"]),
    }


def check_vocabulary(root: str | Path, data: ChainData) -> list[SeedProblem]:
    """Problems of the segment vocabulary (``vocabulary/<chain>.yaml``) and of the
    industry-code concordance (``industry_codes.csv``) of a seed folder, each naming
    file, line, segment id and field (see :mod:`chainmap.classify.vocabulary`).  Both
    files are optional."""
    from chainmap.classify.vocabulary import read_concordance, read_vocabulary, segment_file_stems

    base = Path(root)
    _vocab, vproblems = read_vocabulary(base / "vocabulary", segment_file_stems(data))
    _rows, cproblems = read_concordance(base / "industry_codes.csv", [s.id for s in data.segments])
    return [
        SeedProblem(p.file, p.line, f"{p.segment}.{p.field}" if p.segment and p.field else (p.segment or p.field),
                    p.message)
        for p in [*vproblems, *cproblems]
    ]


def _where(data: ChainData, kind: str, oid: str) -> tuple[str, int | None]:
    return data.origin.get((kind, oid), (f"<{kind}>", None))


def _valid_list(ids: Iterable[str], what: str) -> str:
    """``valid: a, b, c`` -- or, with no valid value at all, what is missing."""
    ids = sorted(ids)
    if not ids:
        return f"no valid {what} is defined"
    shown = ", ".join(ids[:40])
    return f"valid: {shown}" + (f" … ({len(ids)} in all)" if len(ids) > 40 else "")


def validate_data(data: ChainData, *, invalid: dict[str, set[str]] | None = None) -> list[SeedProblem]:
    """Cross-reference checks on already-parsed data; returns the problems found.

    ``invalid`` maps a kind (``chain``, ``segment``, ``region``) to the ids of entries
    that failed their own validation (already reported): references to them are not
    reported again.  An unknown reference is reported once per distinct value, at its
    first use, with the number of uses and the valid values.
    """
    problems: list[SeedProblem] = []
    bad = invalid or {}
    unknown_refs: dict[tuple[str, str, str], list[tuple[str, str, str | None]]] = {}

    def add(kind: str, oid: str, fld: str | None, msg: str) -> None:
        f, line = _where(data, kind, oid)
        problems.append(SeedProblem(f, line, fld, msg))

    def ref(target: str, value: str, kind: str, oid: str, fld: str | None, what: str | None = None) -> None:
        """Record a reference to an unknown ``target`` (chain / segment / region), named ``what``."""
        if value in bad.get(target, set()):
            return  # the entry itself failed its validation: reported there
        unknown_refs.setdefault((target, what or target, value), []).append((kind, oid, fld))

    def dup_check(kind: str, ids: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                add(kind, i, "id", f"duplicate id {i!r}")
            seen.add(i)
        return seen

    chain_ids = dup_check("chain", [c.id for c in data.chains])
    region_ids = dup_check("region", [r.id for r in data.regions])
    seg_ids = dup_check("segment", [s.id for s in data.segments])
    dup_check("enterprise", [e.id for e in data.enterprises if e.id])

    for c in data.chains:
        if c.parent and c.parent not in chain_ids:
            ref("chain", c.parent, "chain", c.id, "parent", "parent chain")
    for r in data.regions:
        if r.parent and r.parent not in region_ids:
            ref("region", r.parent, "region", r.id, "parent", "parent region")
        if r.county:
            if r.county not in region_ids:
                ref("region", r.county, "region", r.id, "county", "county")
            elif data.region_by_id[r.county].kind != RegionKind.county:
                add("region", r.id, "county", f"{r.county!r} is not a county")
    for s in data.segments:
        if s.chain not in chain_ids:
            ref("chain", s.chain, "segment", s.id, "chain")
        elif not s.id.startswith(f"{s.chain}."):
            add("segment", s.id, "id", f"segment id {s.id!r} must start with its chain id: {s.chain}.<name>")
        if s.parent and s.parent not in seg_ids:
            ref("segment", s.parent, "segment", s.id, "parent", "parent segment")

    seen_links: set[tuple[str, str]] = set()
    part_of = nx.DiGraph()
    for s in data.segments:
        if s.parent and s.parent in seg_ids:
            part_of.add_edge(s.id, s.parent)
    for ln in data.links:
        lid = f"{ln.source}->{ln.target}"
        for fld, end in (("source", ln.source), ("target", ln.target)):
            if end not in seg_ids:
                ref("segment", end, "link", lid, fld)
        if (ln.source, ln.target) in seen_links:
            add("link", lid, "target", f"duplicate link {ln.source} -> {ln.target}")
        seen_links.add((ln.source, ln.target))
        if ln.kind == LinkKind.part_of:
            part_of.add_edge(ln.source, ln.target)
    try:
        cycle = nx.find_cycle(part_of)
        nodes = [u for u, _ in cycle]
        add("segment", nodes[0], "parent", f"part_of cycle: {' -> '.join([*nodes, nodes[0]])}")
    except nx.NetworkXNoCycle:
        pass

    for e in data.enterprises:
        eid = e.id or e.name
        if not e.id:
            add("enterprise", eid, "id", "missing id")
        for i, p in enumerate(e.segments):
            if p.segment not in seg_ids:
                ref("segment", p.segment, "enterprise", eid, f"segments.{i}.segment")
        if e.county and e.county not in region_ids:
            ref("region", e.county, "enterprise", eid, "county")
        if e.zone:
            if e.zone not in region_ids:
                ref("region", e.zone, "enterprise", eid, "zone")
            elif e.county and data.region_by_id[e.zone].county not in (None, e.county):
                add("enterprise", eid, "zone", f"zone {e.zone!r} lies in {data.region_by_id[e.zone].county!r}, not {e.county!r}")
    dup_check("policy", [p.id for p in data.policies])
    for pol in data.policies:
        for i, sid in enumerate(pol.segments):
            if sid not in seg_ids:
                ref("segment", sid, "policy", pol.id, f"segments.{i}")
        for i, cid in enumerate(pol.chains):
            if cid not in chain_ids:
                ref("chain", cid, "policy", pol.id, f"chains.{i}")
        for i, rid in enumerate(pol.regions):
            if rid not in region_ids:
                ref("region", rid, "policy", pol.id, f"regions.{i}")
    codes: dict[str, str] = {}
    for e in data.enterprises:
        if e.credit_code:
            if e.credit_code in codes:
                add("enterprise", e.id or e.name, "credit_code", f"credit code also used by {codes[e.credit_code]!r}")
            codes[e.credit_code] = e.id or e.name

    valid = {"chain": chain_ids, "segment": seg_ids, "region": region_ids}
    for (target, what, value), uses in unknown_refs.items():
        ref_kind, ref_id, ref_field = uses[0]
        more = f" (used by {len(uses)} entries; this is the first)" if len(uses) > 1 else ""
        add(ref_kind, ref_id, ref_field, f"unknown {what} {value!r}{more}; {_valid_list(valid[target], target)}")
    return problems


def load_into_store(store: Store, data: ChainData) -> dict[str, int]:
    """Write seed data into a store (idempotent upserts, all-or-nothing).

    The policies are stored as records of kind ``policy``; the seed's list replaces the
    stored one (policies no longer in the seed are deleted in the same transaction)."""
    keep = {p.id for p in data.policies}

    def write(s: Store) -> dict[str, int]:
        return s.bulk_upsert(
            chains=data.chains,
            regions=data.regions,
            segments=data.segments,
            links=data.links,
            enterprises=data.enterprises,
            records=[policy_record(p) for p in data.policies],
        )

    stale = [r["id"] for r in store.list_records(POLICY_RECORD_KIND) if r["id"] not in keep]
    if not stale:
        return write(store)
    with store.transaction() as tx:
        for rid in stale:
            tx.delete_record(POLICY_RECORD_KIND, rid)
        return write(tx)
