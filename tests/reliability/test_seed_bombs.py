"""The seed loader's YAML is bounded: nested aliases, deep nesting and recursive aliases in a
seed folder are seed problems naming the file (and the limit), refused fast with little memory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput
from chainmap.limits import Limits
from chainmap.seed import load_seed
from tests.reliability.bombs import measure, yaml_nested_aliases

MINI = Path(__file__).parent.parent / "fixtures" / "mini_seed"


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    dst = tmp_path / "seed"
    shutil.copytree(MINI, dst)
    return dst


def _refused(seed: Path, limits: Limits | None = None) -> InvalidInput:
    m = measure(lambda: load_seed(seed, limits=limits))
    assert isinstance(m.error, InvalidInput), m.error or m.result
    assert m.seconds < 10, f"{m.seconds:.1f} s"
    assert m.peak_mb < 200, f"{m.peak_mb:.0f} MB"
    return m.error


def test_billion_laughs_in_a_segment_file(seed: Path) -> None:
    bomb = yaml_nested_aliases(levels=9, fan=9)  # 81 aliases, 9^9 ~ 387M nodes once expanded
    assert len(bomb.encode()) < 5_000
    (seed / "segments" / "qi.yaml").write_text(bomb, encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "segments/qi.yaml"
    assert "CHAINMAP_LIMIT_YAML_NODES" in str(err)
    assert any("segments/qi.yaml" in p and "CHAINMAP_LIMIT_YAML_NODES" in p for p in err.context["problems"])


def test_many_aliases_in_enterprises(seed: Path) -> None:
    """A 5 KB file: 12 levels x 12 aliases = 144 aliases > 100."""
    bomb = yaml_nested_aliases(levels=12, fan=12)
    assert len(bomb.encode()) < 5_000
    (seed / "enterprises.yaml").write_text(bomb, encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "enterprises.yaml"
    assert "CHAINMAP_LIMIT_YAML_ALIASES" in str(err)
    assert err.context["line"] == 10  # the 101st alias is on the tenth line


def test_deep_nesting(seed: Path) -> None:
    (seed / "chains.yaml").write_text("- " + "[" * 5_000 + "]" * 5_000 + "\n", encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "chains.yaml"
    assert "CHAINMAP_LIMIT_YAML_DEPTH" in str(err)


def test_recursive_alias(seed: Path) -> None:
    (seed / "regions.yaml").write_text("- &r\n  id: x\n  self: *r\n", encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "regions.yaml"
    assert "recursive alias" in str(err)


def test_limits_are_configurable_and_plain_aliases_still_load(seed: Path) -> None:
    p = seed / "chains.yaml"
    text = p.read_text(encoding="utf-8")
    assert load_seed(seed).chains  # the mini seed within the default budget
    err = _refused(seed, Limits(yaml_max_nodes=5))
    assert err.context["file"] == "chains.yaml" and "CHAINMAP_LIMIT_YAML_NODES" in str(err)
    assert text == p.read_text(encoding="utf-8")


def test_shipped_seed_loads_within_the_default_limits() -> None:
    data = load_seed()
    assert data.chains and data.segments and data.enterprises
