"""The case form covers the whole case format and loses nothing on the way back."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from rrall.case.model import Case
from rrall.web import caseform
from tests.web.conftest import EXAMPLES, example

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)


def _paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every leaf field of the case format, lists of objects written [0]."""
    found = set()
    for w in caseform.widgets(model, prefix):
        if w.kind == "group":
            assert w.model is not None
            found |= _paths(w.model, w.name)
        elif w.kind == "repeat":
            assert w.model is not None
            found |= _paths(w.model, f"{w.name}[0]")
        else:
            found.add(w.name)
    return found


def _schema_leaves(schema: dict, defs: dict, prefix: str = "") -> set[str]:  # type: ignore[type-arg]
    out = set()
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        target = _resolve(prop, defs)
        if target.get("type") == "array" and "$ref" in str(target.get("items", {})):
            item = _resolve(target["items"], defs)
            out |= _schema_leaves(item, defs, f"{path}[0]") if "properties" in item else {path}
        elif "properties" in target:
            out |= _schema_leaves(target, defs, path)
        else:
            out.add(path)
    return out


def _resolve(prop: dict, defs: dict) -> dict:  # type: ignore[type-arg]
    for option in [prop, *prop.get("anyOf", [])]:
        if "$ref" in option:
            return defs[option["$ref"].rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return prop


def test_the_form_has_every_field_of_the_schema() -> None:
    schema = Case.model_json_schema()
    assert _paths(Case) == _schema_leaves(schema, schema["$defs"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_round_trip_of_every_example(name: str) -> None:
    document = example(name)
    assert caseform.to_document(caseform.to_values(document)) == document


def test_unknown_and_none_found_stay_apart() -> None:
    values = {"diagnosis.genetics._reported": ["1"], "relapses[0].abl1_kinase_mutations": ["none"],
              "relapses[0].date": ["2024-01-01"], "relapses[0].sites": ["bone_marrow"],
              "relapses[0].bcr_abl1": ["no"]}
    document = caseform.to_document(values)
    assert document["diagnosis"]["genetics"] == []
    assert document["relapses"][0]["abl1_kinase_mutations"] == []
    assert document["relapses"][0]["bcr_abl1"] is False
    assert "cd19" not in document["relapses"][0]  # blank: unknown, never "no"
    assert caseform.to_document({"diagnosis.date": ["2020-01-01"]}) == {"diagnosis": {"date": "2020-01-01"}}


def test_what_was_typed_survives_even_when_invalid() -> None:
    values = {"id": ["x"], "date_of_birth": ["12/03/2015"], "diagnosis.wbc_per_uL": ["lots"],
              "sex": ["robot"], "relapses[0].marrow_blasts_percent": ["5,5"]}
    document = caseform.to_document(values)
    assert document["date_of_birth"] == "12/03/2015" and document["diagnosis"]["wbc_per_uL"] == "lots"
    assert document["sex"] == "robot" and document["relapses"][0]["marrow_blasts_percent"] == "5,5"
    assert caseform.to_values(document) == values


def test_blank_rows_are_dropped_and_one_blank_row_is_offered() -> None:
    values = {"relapses[0].date": [""], "relapses[1].date": ["2024-01-01"], "relapses[1].sites": ["cns"]}
    document = caseform.to_document(values)
    assert document == {"relapses": [{"date": "2024-01-01", "sites": ["cns"]}]}
    relapses = next(w for w in caseform.widgets() if w.name == "relapses")
    assert len(caseform.rows(relapses, caseform.to_values(document))) == 2
    assert len(caseform.rows(relapses, caseform.to_values(document), more="relapses")) == 3
