"""Enterprise import and candidate import read tables through the one reader:
same row numbers, same wrappers, same error for the same bad row."""

from __future__ import annotations

import json

import pytest

from chainmap.enterprise_import import enterprises_from_table
from chainmap.exceptions import InvalidInput
from chainmap.tabular import read_table
from matching.candidates import read_candidates


def _errors_of_both(raw: bytes, filename: str, toy_data) -> tuple[list[dict], list[dict]]:
    with pytest.raises(InvalidInput) as ent:
        enterprises_from_table(read_table(raw, filename=filename), toy_data)
    with pytest.raises(InvalidInput) as cand:
        read_candidates(raw, filename=filename, data=toy_data)
    return [e.to_dict() for e in ent.value.errors], [e.to_dict() for e in cand.value.errors]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_same_bad_row_same_error(toy_data, fmt: str) -> None:
    if fmt == "csv":
        raw = "name,source\n甲公司,a\n乙公司,b,surplus\n".encode()
    else:
        raw = json.dumps({"items": [{"name": "甲公司"}, {"name": "乙公司", "source": "b"}, 5]}).encode()
    if fmt == "csv":
        ent, cand = _errors_of_both(raw, f"t.{fmt}", toy_data)
        assert ent == cand == [
            {"row": 3, "column": "", "value": "surplus", "reason": "cell 3 is beyond the 2 header columns"}
        ]
    else:  # a non-object record refuses the file in both, naming the same row
        for call in (
            lambda: enterprises_from_table(read_table(raw, filename="t.json"), toy_data),
            lambda: read_candidates(raw, filename="t.json", data=toy_data),
        ):
            with pytest.raises(InvalidInput) as ei:
                call()
            assert ei.value.context["row"] == 4 and "record 3" in ei.value.message


@pytest.mark.parametrize("wrapper", [None, "items", "candidates"])
def test_both_importers_accept_every_json_wrapper_and_number_rows_alike(toy_data, wrapper) -> None:
    items = [{"name": "甲公司"}, {"name": "乙公司", "county": "atlantis", "revenue_cny_100m": -1}]
    raw = json.dumps({wrapper: items} if wrapper else items).encode()
    ent, cand = _errors_of_both(raw, "t.json", toy_data)
    assert {e["row"] for e in ent} == {e["row"] for e in cand} == {3}
