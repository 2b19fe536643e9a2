"""docs/fhir-mapping.md names every standard code the mapping writes."""

from __future__ import annotations

import re

from rrall.fhir import codes as C
from tests.conftest import ROOT


def test_every_standard_code_is_documented() -> None:
    text = (ROOT / "docs" / "fhir-mapping.md").read_text()
    used = [C.ALL_ANY, *C.LINEAGE_OUT.values(), *C.RELAPSE_OUT, *C.SITES.values(), C.WBC, C.BCR_ABL1,
            C.VARIANT, C.GENE_STUDIED, C.AA_CHANGE, C.ABL1_GENE, C.PRESENT, C.CD19, C.KARNOFSKY, C.LANSKY,
            *C.CNS_STATUS.values(), *C.MRD_METHODS.values(), *C.OUTCOMES.values(), C.HSCT,
            *C.TRANSPLANT_TYPES.values(), C.RADIOTHERAPY, *C.RADIATION_SITES.values()]
    codes = [code for system, code, *_ in used if system != C.RRALL]
    codes += list(C.RXNORM_AGENTS.values()) + list(C.RXNORM_ANTHRACYCLINES.values())
    missing = [c for c in codes if c not in text]
    assert missing == []
    for url in (C.FRONTLINE_END, C.TRANSPLANT_TYPE, C.AGENT_RESPONSE, C.CUMULATIVE_DOSE, C.RADIATION_DOSE):
        assert url in text


def test_rrall_code_system_is_valid_and_covers_every_code_written() -> None:
    from fhir.resources.R4B.codesystem import CodeSystem

    from rrall.case.load import load_case
    from rrall.fhir.export import case_bundle

    system = C.code_system("0.1.0")
    CodeSystem.model_validate(system)
    defined = {c["code"] for c in system["concept"]}  # type: ignore[attr-defined]
    assert len(defined) == system["count"]
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        text = str(case_bundle(load_case(path)))


        for code in re.findall(r"'system': '" + re.escape(C.RRALL) + r"', 'code': '([^']+)'", text):
            assert code in defined, code
