"""The label catalogue (chainmap/labels.py) equals every copy of a label that still lives elsewhere,
so each copy can become an import of the catalogue without changing one output byte; and it is
served at GET /labels and read by the web page instead of copies in app.js.

The old constants now derive from the catalogue; each comparison still runs, and a constant
that disappears fails the test instead of passing unnoticed.
"""

from __future__ import annotations

import importlib
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainmap import labels as L
from chainmap.exceptions import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "api" / "static"


def _current(module: str, name: str) -> Any:
    obj = getattr(importlib.import_module(module), name, None)
    assert obj is not None, f"{module}.{name} is gone: compare its replacement with chainmap.labels"
    return obj


def _pairs(labels: L.Labels) -> dict[str, tuple[str, str]]:
    return dict(labels)


def _title(labels: L.Labels) -> dict[str, tuple[str, str]]:
    return {k: (zh, en.capitalize()) for k, (zh, en) in labels.items()}


# ------------------------------------------------------------------ equal to the constants of today


def test_gap_status_equals_gaps_module() -> None:
    assert _current("chainmap.analysis.gaps", "STATUS_LABELS") == _pairs(L.GAP_STATUS)
    assert _current("chainmap.analysis.gaps", "STATUSES") == tuple(L.GAP_STATUS)


def test_gap_status_colours_equal_svg() -> None:
    assert _current("chainmap.reports.svg", "STATUS_COLOURS") == L.GAP_STATUS_COLOURS


def test_svg_texts_are_the_catalogue_capitalised() -> None:
    assert _current("chainmap.reports.svg", "_STATUS_TEXT") == _title(L.GAP_STATUS)
    assert _current("chainmap.reports.svg", "_STAGE_TEXT") == _title(L.SEGMENT_STAGE)


def test_report_stage_labels() -> None:
    assert _current("chainmap.reports.gaps", "_STAGE_LABELS") == _pairs(L.SEGMENT_STAGE)


def test_models_vocabularies() -> None:
    from chainmap import models as m

    assert {t.value: zh for t, zh in m.TAG_LABELS_ZH.items()} == L.zh_labels(L.TAG)
    assert {s.value: zh for s, zh in m.STAGE_LABELS_ZH.items()} == L.zh_labels(L.SEGMENT_STAGE)
    assert all(m.Tag.parse(zh) is m.Tag(code) for code, zh in L.zh_labels(L.TAG).items())
    # every member of a model vocabulary has a label, in the enum's order
    for enum, vocab in [
        (m.Tag, L.TAG), (m.Stage, L.SEGMENT_STAGE), (m.LinkKind, L.LINK_KIND), (m.Role, L.ROLE),
        (m.RegionKind, L.REGION_KIND), (m.Confidence, L.CONFIDENCE),
    ]:
        assert [e.value for e in enum] == list(vocab), enum.__name__


@pytest.mark.parametrize(
    ("enum_name", "vocab"),
    [
        ("ProjectStage", L.PROJECT_STAGE),
        ("TaskForceKind", L.TASK_FORCE_KIND),
        ("FollowUpMethod", L.FOLLOW_UP_METHOD),
        ("GapStatus", L.GAP_STATUS),
    ],
)
def test_pipeline_vocabularies(enum_name: str, vocab: L.Labels) -> None:
    enum: type[StrEnum] = _current("chainmap.projects.models", enum_name)
    expected = {m.value: (m.label("zh"), m.label("en")) for m in enum}  # type: ignore[attr-defined]
    assert expected == {k: v for k, v in vocab.items() if k in expected}
    if enum_name == "GapStatus":  # a project's gap status is one of the three gap kinds
        assert set(expected) == set(L.GAP_TARGET_STATUSES)
    else:
        assert list(expected) == list(vocab)


def test_pipeline_stage_table() -> None:
    assert _current("chainmap.projects.models", "_STAGE_ZH") == L.zh_labels(L.PROJECT_STAGE)
    main_line = _current("chainmap.projects.models", "MAIN_LINE")
    assert [s.value for s in main_line] == list(L.PROJECT_STAGE)[:7]


def test_gap_components_cover_the_analysis() -> None:
    gaps = importlib.import_module("chainmap.analysis.gaps")
    weights = {**gaps.FILL_WEIGHTS, **gaps.STRENGTHEN_WEIGHTS, **gaps.EXTEND_WEIGHTS}
    assert set(weights) <= set(L.GAP_COMPONENT)


# ------------------------------------------------------------------ the catalogue itself


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalogue_shape(lang: str) -> None:
    cat = L.catalogue(lang)
    assert cat["lang"] == lang
    assert set(cat) == {"lang", "gap_status_colours", "gap_status_targets", *L.VOCABULARIES}
    assert cat["gap_status_targets"] == ["fill", "strengthen", "extend"]
    assert set(cat["gap_status_colours"]) == {*L.GAP_STATUS, "none"}  # a colour for every status
    for name, vocab in L.VOCABULARIES.items():
        assert list(cat[name]) == list(vocab), name  # display order kept
        assert all(isinstance(v, str) and v for v in cat[name].values()), name
    assert cat["gap_status_colours"]["extend"] == {"stroke": "#2b6cb0", "fill": "#d7e7f8"}
    for name in L.VOCABULARIES:  # Chinese labels are Chinese, never the code
        if lang == "zh":
            assert all(re.search(r"[\u4e00-\u9fff]", v) for v in cat[name].values()), name


def test_label_and_errors() -> None:
    assert L.label("project_stage", "at_design_output", "zh") == "达效"
    assert L.label("tag", "global500", "EN") == "Global 500"
    with pytest.raises(InvalidInput, match="valid: supplies, part_of, enables") as err:
        L.label("link_kind", "owns")
    assert err.value.context["field"] == "link_kind"
    with pytest.raises(InvalidInput, match="unknown vocabulary"):
        L.label("colour", "red")
    with pytest.raises(InvalidInput) as err:
        L.catalogue("fr")
    assert err.value.context["field"] == "lang"


def test_zh_labels_are_unique_per_vocabulary() -> None:
    # Chinese labels are accepted on input (Tag.parse, ProjectStage("签约")): they must not collide
    for name, vocab in L.VOCABULARIES.items():
        zh = list(L.zh_labels(vocab).values())
        assert len(zh) == len(set(zh)), name


# ------------------------------------------------------------------ served, and used by the page


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from api.keys import create_key
    from api.main import create_app
    from api.settings import Settings

    db = tmp_path_factory.mktemp("labels") / "labels.db"
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=True))
    with TestClient(app) as c:
        c.key = create_key(app.state.holder.get(), role="viewer", label="labels test")[0]  # type: ignore[attr-defined]
        yield c


def test_get_labels(client: Any) -> None:
    h = {"X-API-Key": client.key}
    zh = client.get("/api/v1/labels", headers=h)
    assert zh.status_code == 200, zh.text
    assert zh.headers["content-type"].startswith("application/json")
    assert zh.json() == L.catalogue("zh")
    assert zh.json()["gap_status"]["fill"] == "补链"
    en = client.get("/api/v1/labels", params={"lang": "en"}, headers=h).json()
    assert en == L.catalogue("en") and en["tag"]["chain_leader"] == "chain leader"


def test_get_labels_needs_a_key_and_a_known_language(client: Any) -> None:
    assert client.get("/api/v1/labels").status_code == 401
    r = client.get("/api/v1/labels", params={"lang": "fr"}, headers={"X-API-Key": client.key})
    assert r.status_code == 422
    assert "lang" in r.text


def test_page_has_no_copied_labels() -> None:
    js = "".join((STATIC / f).read_text(encoding="utf-8") for f in ("app.js", "common.js"))  # webmap: shell in common.js
    assert '"/labels"' in js
    for vocab in (L.TAG, L.SEGMENT_STAGE, L.REGION_KIND, L.GAP_COMPONENT):
        for code, (zh, en) in vocab.items():
            assert f'"{zh}"' not in js, zh
            assert en == code or f'"{en}"' not in js, en  # a code may appear; an English label may not
    for zh, _en in L.GAP_STATUS.values():
        assert f'"{zh}"' not in js, zh


def test_page_default_colours_are_the_catalogue() -> None:
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    for status in ("fill", "strengthen", "extend", "sound"):
        m = re.search(rf"--{status}:\s*(#[0-9a-fA-F]{{6}})", css)
        assert m, status
        assert m.group(1).lower() == L.GAP_STATUS_COLOURS[status][0]


def test_status_meanings_cover_every_status() -> None:
    assert list(L.GAP_STATUS_MEANING) == list(L.GAP_STATUS)
    assert set(L.GAP_TARGET_STATUSES) < set(L.GAP_STATUS)
    assert _current("chainmap.analysis.gaps", "TARGET_STATUSES") == L.GAP_TARGET_STATUSES


def test_svg_legend_lists_every_status_in_order() -> None:
    from chainmap.reports.svg import render_chain_svg
    from chainmap.seed import load_seed

    data = load_seed()
    for lang in ("zh", "en"):
        svg = render_chain_svg(data.graph, "qi", [], lang=lang)
        legend = svg[svg.index('class="cm-legend"') :]
        assert re.findall(r'cm-legend-item" data-status="(\w+)"', legend) == [*L.GAP_STATUS, "external"]
        for code, pair in L.GAP_STATUS.items():
            label = pair[0] if lang == "zh" else pair[1].capitalize()
            assert f">{label}<" in legend, code
            stroke, fill = L.GAP_STATUS_COLOURS[code]
            assert f'fill="{fill}" stroke="{stroke}"' in legend, code


def test_page_paints_a_badge_per_catalogue_status_and_ranks_leads_for_targets_only() -> None:
    js = "".join((STATIC / f).read_text(encoding="utf-8") for f in ("app.js", "common.js"))  # webmap: shell in common.js
    assert "gap_status_colours" in js and ".st-${status} { background: var(--${status}); }" in js
    assert "gap_status_targets" in js
    assert 'status !== "sound"' not in js  # the old two-way test would rank leads for 暂不布局
