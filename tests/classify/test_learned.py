"""ReviewModel on texts and records, and the blend with the engine's assignments."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from chainmap.classify import Assignment, SegmentClassifier
from chainmap.classify.learned import (
    MIN_LABELS,
    MIN_MODEL_CONFIDENCE,
    OUT_OF_SCOPE,
    W_MAX,
    BlendedAssignment,
    ReviewModel,
    blend,
    blend_weight,
    record_text,
)
from chainmap.models import AssignmentMethod, Role
from chainmap.seed import load_seed

TEXTS = ["镁合金压铸件", "镁合金轮毂、镁合金型材", "原镁冶炼", "白酒酿造", "白酒销售", "锂离子电池电芯", "动力电池电芯"]
LABELS = ["cai.mg.alloy", "cai.mg.alloy", "cai.mg.alloy", OUT_OF_SCOPE, OUT_OF_SCOPE, "qi.cell", "qi.cell"]


def test_fits_texts_and_records_alike() -> None:
    m = ReviewModel().fit(TEXTS, LABELS)
    assert [str(c) for c in m.classes_] == sorted(set(LABELS))
    assert [str(x) for x in m.predict(["镁合金压铸", "电池电芯", "白酒"])] == ["cai.mg.alloy", "qi.cell", OUT_OF_SCOPE]
    p = m.predict_proba(["镁合金压铸"])
    assert p.shape == (1, 3) and np.isclose(p.sum(), 1.0)
    records = [{"name": f"甲{i}有限公司", "products": t} for i, t in enumerate(TEXTS)]
    r = ReviewModel().fit(records, LABELS)
    assert str(r.predict([{"name": "某公司", "products": "镁合金压铸件"}])[0]) == "cai.mg.alloy"
    assert r.predict_proba(np.array(["镁合金"], dtype=object)).shape == (1, 3)  # a 1-D object array is text too
    assert not hasattr(r, "n_features_in_")  # like sklearn's text vectorisers
    # same labels, same model
    assert np.allclose(clone(r).fit(records, LABELS).predict_proba(records), r.predict_proba(records))


def test_the_input_kind_must_match_and_bad_input_is_refused() -> None:
    m = ReviewModel().fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="fitted on texts"):
        m.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="got a single str"):
        m.predict("镁合金")
    with pytest.raises(ValueError, match="one label per text"):
        ReviewModel().fit(TEXTS, LABELS[:-1])
    n = ReviewModel().fit(np.eye(4), [0, 1, 0, 1])
    assert n.n_features_in_ == 4
    with pytest.raises(ValueError, match="fitted on a numeric matrix"):
        n.predict(["镁合金"])
    assert ReviewModel(C=3.0).get_params()["C"] == 3.0 and ReviewModel().set_params(min_df=2).min_df == 2


def test_record_text_keeps_what_identifies_the_firm() -> None:
    scope = "一般项目：镁合金压铸件制造；技术服务、技术开发；货物进出口。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    text = record_text({"name": "甲公司", "products": "镁合金", "scope": scope, "industry_code": "3391",
                        "industry_name": "有色金属合金制造", "other": "ignored"})  # fmt: skip
    assert text == "镁合金 | 镁合金压铸件制造 | 有色金属合金制造 | 行业3391 | 甲公司"
    assert "技术服务" not in text and "除依法" not in text
    assert record_text({"name": "甲公司", "products": None, "scope": ""}) == "甲公司"


def test_blend_weight_grows_with_labels_and_is_capped() -> None:
    assert blend_weight(MIN_LABELS - 1, 10) == 0.0 and blend_weight(1000, 1) == 0.0
    ws = [blend_weight(n, 5) for n in (MIN_LABELS, 100, 300, 1000, 100_000)]
    assert ws == sorted(ws) and ws[0] > 0 and ws[-1] == W_MAX


def _a(seg: str, conf: float, role: Role = Role.producer, chain: str = "cai") -> Assignment:
    return Assignment(seg, chain, role, conf, AssignmentMethod.text, (f"产品:{seg}",))


CHAINS = {"cai.mg.alloy": "cai", "cai.mg.primary": "cai", "qi.cell": "qi", "qi.pack": "qi"}


def test_blend_rules() -> None:
    engine = [_a("cai.mg.alloy", 0.9), _a("cai.mg.primary", 0.5), _a("qi.pack", 0.4, Role.user, "qi")]
    # weight 0: the engine's list itself
    assert blend(engine, {"qi.cell": 0.99}, weight=0.0, n_labels=10, chain_of=CHAINS) == engine
    # the model's support raises a segment, never lowers one; an unknown segment keeps its confidence
    out = blend(engine, {"cai.mg.primary": 0.9, "qi.cell": 0.1}, weight=0.5, n_labels=40, chain_of=CHAINS)
    conf = {a.segment: a.confidence for a in out}
    assert conf["cai.mg.alloy"] == 0.9 and out[0].segment == "cai.mg.alloy"
    assert conf["cai.mg.primary"] == pytest.approx(1 - 0.5 * (1 - 0.45))
    prim = next(a for a in out if a.segment == "cai.mg.primary")
    assert isinstance(prim, BlendedAssignment) and prim.engine_confidence == 0.5 and prim.method is AssignmentMethod.text
    assert "复核模型：40 条已确认标注" in prim.evidence[-1]
    assert "qi.cell" not in conf  # below MIN_PROBA
    assert out[-1].segment == "qi.pack" and out[-1].role is Role.user  # other roles follow, unchanged
    # a segment the model alone proposes: method model, weight * p, its evidence
    out = blend(engine[:1], {"qi.cell": 0.8, "cai.mg.alloy": 0.1}, weight=0.25, n_labels=60, chain_of=CHAINS)
    model = [a for a in out if a.method is AssignmentMethod.model]
    assert [(a.segment, a.confidence, a.engine_confidence) for a in model] == [("qi.cell", 0.2, None)]
    assert model[0].evidence == ("复核模型：60 条已确认标注，概率 0.80 / review model: 60 confirmed labels, p=0.80",)
    # with few labels (a small weight) only a very sure model proposes: w * p >= MIN_MODEL_CONFIDENCE
    w = blend_weight(MIN_LABELS, 2)
    assert w * 0.7 < MIN_MODEL_CONFIDENCE <= w * 0.8
    assert [a.segment for a in blend(engine[:1], {"qi.cell": 0.7}, weight=w, n_labels=30, chain_of=CHAINS)] == [
        "cai.mg.alloy"]  # fmt: skip
    assert [a.segment for a in blend(engine[:1], {"qi.cell": 0.8}, weight=w, n_labels=30, chain_of=CHAINS)] == [
        "cai.mg.alloy", "qi.cell"]  # fmt: skip
    # the out-of-scope probability damps the firm's segments alike, and proposes nothing
    out = blend(engine[:2], {OUT_OF_SCOPE: 0.8}, weight=0.5, n_labels=60, chain_of=CHAINS)
    assert [(a.segment, a.confidence) for a in out] == [("cai.mg.alloy", 0.54), ("cai.mg.primary", 0.3)]
    # at most k produced segments
    many = blend(engine[:2], {"qi.cell": 0.5, "qi.pack": 0.45}, weight=0.5, n_labels=60, chain_of=CHAINS, k=3)
    assert len([a for a in many if a.role is Role.producer]) == 3


def test_the_blend_on_the_real_engine_keeps_its_result_without_support() -> None:
    clf = SegmentClassifier.from_data(load_seed())
    got = clf.assign(products="镁合金压铸件、镁合金轮毂")
    assert got and got[0].segment.startswith("cai.")
    same = blend(got, {}, weight=0.5, n_labels=100, chain_of=CHAINS)
    assert [(a.segment, a.confidence, a.method) for a in same] == [(a.segment, a.confidence, a.method) for a in got]
