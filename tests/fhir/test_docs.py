"""docs/fhir-mapping.md names every standard code the mapping writes."""

from __future__ import annotations

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
