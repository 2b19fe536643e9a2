"""The closed vocabularies of the case format (v1.3).

Every value a clinician may enter for an enumerated field is listed here once; the
case model, the JSON Schema and docs/case-format.md are all built from these lists.
"""

from typing import Literal, get_args

CASE_FORMAT_VERSION = "1.3"

Sex = Literal["male", "female"]
Immunophenotype = Literal["B", "T"]
RelapseSite = Literal["bone_marrow", "cns", "testis", "other"]
CnsStatus = Literal["CNS1", "CNS2", "CNS3"]
# How a criterion combines others, or keeps the trial's own words (named where a fact would be).
CriterionKind = Literal["any", "all", "not", "free_text"]
AntigenExpression = Literal["positive", "dim", "negative", "unknown"]
InductionOutcome = Literal["CR", "induction_failure"]
ReinductionOutcome = Literal["CR", "treatment_failure"]
MrdTimepoint = Literal["at_relapse", "end_of_reinduction", "end_of_consolidation", "pre_hsct", "other"]
MrdUnit = Literal["percent", "fraction"]
MrdMethod = Literal["flow", "pcr", "ngs"]
HsctType = Literal["allogeneic", "autologous"]
Anthracycline = Literal["doxorubicin", "daunorubicin", "epirubicin", "idarubicin", "mitoxantrone"]
PerformanceScale = Literal["lansky", "karnofsky", "ecog"]
DonorType = Literal[
    "matched_sibling",
    "matched_unrelated",
    "mismatched_unrelated",
    "haploidentical",
    "cord_blood",
    "none_identified",
]

# Recurrent lesions that change relapse treatment or prognosis. Fusions use the
# HGNC "::" notation; KMT2A means any KMT2A rearrangement.
GeneticLesion = Literal[
    "ETV6::RUNX1",
    "BCR::ABL1",
    "KMT2A",
    "KMT2A::AFF1",
    "TCF3::PBX1",
    "TCF3::HLF",
    "hypodiploid",
    "low_hypodiploid",
    "high_hyperdiploid",
    "trisomy_4_10",
    "iAMP21",
    "TP53",
    "IKZF1_deletion",
    "CRLF2",
    "Ph_like_ABL_class",
    "Ph_like_JAK_STAT",
    "DUX4",
    "ZNF384",
    "MEF2D",
    "NOTCH1",
    "NT5C2",
]

PriorAgent = Literal[
    "blinatumomab",
    "inotuzumab_ozogamicin",
    "tisagenlecleucel",
    "other_cd19_car_t",
    "cd22_car_t",
    "nelarabine",
    "bortezomib",
    "daratumumab",
    "clofarabine",
    "venetoclax",
    "imatinib",
    "dasatinib",
    "nilotinib",
    "bosutinib",
    "ponatinib",
    "ruxolitinib",
    "revumenib",
    "epratuzumab",
    "gemtuzumab_ozogamicin",
    "other",
]

# Germline conditions that change relapse treatment choices (case format v1.1): TP53 is a
# germline TP53 variant (Li-Fraumeni syndrome).
GermlinePredisposition = Literal[
    "TP53",
    "constitutional_mismatch_repair_deficiency",
    "ataxia_telangiectasia",
    "nijmegen_breakage_syndrome",
    "other",
]

AgentResponse = Literal["mrd_negative_remission", "complete_remission", "no_response", "not_evaluable"]


def values(alias: object) -> tuple[str, ...]:
    """The allowed values of one of the Literal aliases above."""
    return tuple(str(v) for v in get_args(alias))


# What rrall derives about the assessed relapse (classify/), in the same closed form.
DiseaseState = Literal["first_relapse", "second_relapse", "third_or_later_relapse", "primary_refractory"]
SiteCategory = Literal["isolated_marrow", "isolated_extramedullary", "combined"]
TimingCategory = Literal["very_early", "early", "late"]

# Each vocabulary by the name the glossary (knowledge/glossary/*.yaml) and the fact
# definitions (knowledge/facts.yaml) use for it.
VOCABULARIES: dict[str, object] = {
    "sex": Sex, "immunophenotype": Immunophenotype, "relapse_site": RelapseSite, "cns_status": CnsStatus,
    "antigen_expression": AntigenExpression, "induction_outcome": InductionOutcome,
    "reinduction_outcome": ReinductionOutcome, "mrd_timepoint": MrdTimepoint, "mrd_unit": MrdUnit,
    "mrd_method": MrdMethod, "hsct_type": HsctType, "anthracycline": Anthracycline,
    "performance_scale": PerformanceScale, "donor_type": DonorType, "genetic_lesion": GeneticLesion,
    "prior_agent": PriorAgent, "agent_response": AgentResponse,
    "germline_predisposition": GermlinePredisposition, "disease_state": DiseaseState,
    "site_category": SiteCategory, "timing": TimingCategory,
}
