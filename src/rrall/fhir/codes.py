"""The codes of the FHIR mapping, each seen in a named source (docs/research/fhir-codes.md).

Where no standard code was found, rrall's own CodeSystem (RRALL) is used with the case
format's own words as codes; docs/fhir-mapping.md says which.
"""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
HGNC = "http://www.genenames.org"
HGVS = "http://varnomen.hgvs.org"
UCUM = "http://unitsofmeasure.org"
RRALL = "https://rrall.org/fhir/CodeSystem/case"
FRAMEWORK = "https://rrall.org/fhir/CodeSystem/framework"
RISK_GROUP = "https://rrall.org/fhir/CodeSystem/risk-group"
THERAPY = "https://rrall.org/fhir/CodeSystem/therapy-option"
OPTION_STATUS = "https://rrall.org/fhir/CodeSystem/option-status"
CASE_ID = "https://rrall.org/fhir/NamingSystem/case-id"
EXT = "https://rrall.org/fhir/StructureDefinition/"
FRONTLINE_END = EXT + "frontline-end"
TRANSPLANT_TYPE = EXT + "transplant-type"
AGENT_RESPONSE = EXT + "agent-response"
CUMULATIVE_DOSE = EXT + "cumulative-dose"
RADIATION_DOSE = EXT + "radiation-dose"

# Conditions
PROBLEM_LIST_ITEM = ("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item",
                     "Problem List Item")
ALL_ANY = (SNOMED, "91857003", "Acute lymphoid leukemia")
LINEAGE_CODES = {  # (system, code) -> immunophenotype
    (SNOMED, "277571004"): "B",  # B-cell acute lymphoblastic leukemia (disorder)
    (ICDO3, "9811/3"): "B",  # B lymphoblastic leukemia/lymphoma, NOS
    (ICDO3, "9812/3"): "B",  # B-ALL with BCR::ABL1 fusion
    (ICDO3, "9837/3"): "T",  # T-lymphoblastic leukemia/lymphoma
    (RRALL, "B-ALL"): "B",
    (RRALL, "T-ALL"): "T",  # no SNOMED disorder code for T-ALL was found
}
LINEAGE_OUT = {"B": (SNOMED, "277571004", "B-cell acute lymphoblastic leukemia"),
               "T": (ICDO3, "9837/3", "T-lymphoblastic leukemia/lymphoma")}
DIAGNOSIS_CODES = {(SNOMED, "91857003"), (ICD10CM, "C91.0"), (ICD10CM, "C91.00"), *LINEAGE_CODES}
RELAPSE_CODES = {(SNOMED, "1259237005"), (ICD10CM, "C91.02"), (RRALL, "relapse")}
RELAPSE_OUT = [(SNOMED, "1259237005", "Recurrent malignant neoplasm"),
               (ICD10CM, "C91.02", "Acute lymphoblastic leukemia, in relapse")]
# Down syndrome (constitutional trisomy 21), case format v1.1: the ICD-10-CM Q90 category
# (Q90.0 meiotic nondisjunction, Q90.1 mosaicism, Q90.2 translocation, Q90.9 unspecified).
# No SNOMED CT or Li-Fraumeni code was confirmed in a source read, so none is imported.
DOWN_SYNDROME_OUT = (ICD10CM, "Q90.9", "Down syndrome, unspecified")
DOWN_SYNDROME_CODES = {(ICD10CM, "Q90.0"), (ICD10CM, "Q90.1"), (ICD10CM, "Q90.2"), (ICD10CM, "Q90.9")}
SITES = {"bone_marrow": (SNOMED, "14016003", "Bone marrow structure"),
         "cns": (SNOMED, "389079005", "Brain and spinal cord structure"),
         "testis": (SNOMED, "40689003", "Testis structure"),
         "other": (SNOMED, "74964007", "Other")}
SITES_IN = {(s, c): site for site, (s, c, _) in SITES.items()} | {
    (SNOMED, "75330005"): "bone_marrow", (SNOMED, "12738006"): "cns", (SNOMED, "258335003"): "cns",
    (SNOMED, "2748008"): "cns", (SNOMED, "258450006"): "cns", (ICDO3, "C42.1"): "bone_marrow"}

# Observations: (system, code) that identifies what the Observation reports
WBC = (LOINC, "26464-8", "Leukocytes [#/volume] in Blood")
BCR_ABL1 = (LOINC, "21821-4", "t(9;22)(q34.1;q11)(ABL1,BCR) fusion transcript [Presence] in Blood or Tissue "
            "by Molecular genetics method")
BCR_ABL1_IN = {(LOINC, "21821-4"), (LOINC, "21822-2"), (LOINC, "21823-0")}
VARIANT = (LOINC, "69548-6", "Genetic variant assessment")
GENE_STUDIED = (LOINC, "48018-6", "Gene studied [ID]")
AA_CHANGE = (LOINC, "48005-3", "Amino acid change (pHGVS)")
ABL1_GENE = (HGNC, "HGNC:76", "ABL1")
# HGNC ids seen in the mCODE examples (genomic-variant-fusion, the pediatric ALL example);
# other genes are read by their symbol (the coding's display).
HGNC_SYMBOLS = {"HGNC:76": "ABL1", "HGNC:1014": "BCR", "HGNC:3495": "ETV6", "HGNC:10471": "RUNX1"}
FUSIONS = {frozenset(pair.split("::")): pair
           for pair in ("ETV6::RUNX1", "BCR::ABL1", "TCF3::PBX1", "TCF3::HLF")}
REARRANGED = {"KMT2A", "DUX4", "ZNF384", "MEF2D"}  # a lesion of the case format with any partner
# Sequence Ontology: gene_fusion (SO:0001565; mCODE's example writes SO:001565), chromosomal_translocation
FUSION_KINDS = {"SO:0001565", "SO:001565", "SO:1000044"}
PRESENT = (LOINC, "LA9633-4", "Present")
CD19 = (LOINC, "32525-8", "CD19 cells/100 cells in Bone marrow")
IMMUNOPHENOTYPING = (LOINC, "101119-6", "Leukemia and lymphoma immunophenotyping")
KARNOFSKY = (LOINC, "89243-0", "Karnofsky Performance Status score")
LANSKY = (NCIT, "C38144", "Lansky Play-Performance Status")
ECOG = (LOINC, "89247-1", "ECOG Performance Status score")  # as mCODE's ECOG profile
CNS_STATUS = {"CNS1": (NCIT, "C116833", "CNS1"), "CNS2": (NCIT, "C116834", "CNS2"),
              "CNS3": (NCIT, "C116835", "CNS3")}
MRD_METHODS = {"flow": (NCIT, "C16585", "Flow Cytometry"),
               "pcr": (NCIT, "C51962", "Molecular Real-time Quantitative PCR"),
               "ngs": (NCIT, "C101293", "Next Generation Sequencing")}
OUTCOMES = {"CR": (SNOMED, "550991000124107", "Malignant neoplasm in full remission"),
            "failure": (NCIT, "C38014", "Refractory")}
# rrall's own codes for what no standard code was found for
OWN = {"cd22": "CD22 expression at relapse", "marrow-blasts": "Leukemic blasts in the marrow aspirate (%)",
       "mrd": "Minimal residual disease", "mrd-timepoint": "MRD time point", "cns-status": "CNS status",
       "genetic-lesion": "Recurrent genetic lesion", "none-found": "Tested, none found",
       "induction-outcome": "Response to front-line induction", "reinduction-outcome":
       "Response at the end of reinduction", "donor": "Stem-cell donor", "hla-match": "HLA match",
       "relapse": "Relapse of ALL", "B-ALL": "B-lineage ALL", "T-ALL": "T-lineage ALL",
       "cranial": "Cranial radiation", "testicular": "Testicular radiation",
       "diagnosis": "Initial diagnosis of ALL", "cd7": "CD7 expression at relapse",
       "cd7-blasts": "Share of blasts expressing CD7 at relapse (%)",
       "hsct-eligible": "Judged able to undergo allogeneic HSCT",
       "down-syndrome": "Constitutional trisomy 21 (Down syndrome), recorded as present or absent",
       "germline-predisposition": "Germline cancer-predisposition condition"}

# Procedures
HSCT = (SNOMED, "234336002", "Hemopoietic stem cell transplant")
TRANSPLANT_TYPES = {"allogeneic": (SNOMED, "50223000", "Allogeneic transplantation"),
                    "autologous": (SNOMED, "53088000", "Autogenous transplantation")}
RADIOTHERAPY = (SNOMED, "108290001", "Radiation oncology AND/OR radiotherapy")
RADIOTHERAPY_IN = {(SNOMED, "108290001"), (SNOMED, "33195004")}
RADIATION_SITES = {"cranial": (SNOMED, "258335003", "Entire brain"),
                   "testicular": (SNOMED, "40689003", "Testis structure")}
RADIATION_SITES_IN = {(SNOMED, "258335003"): "cranial", (SNOMED, "12738006"): "cranial",
                      (SNOMED, "389079005"): "cranial", (SNOMED, "40689003"): "testicular"}
CAR_T_PROCEDURE = (SNOMED, "1156961008")

# Medications: RxNorm ingredient codes where one was seen, else rrall's code
RXNORM_AGENTS = {"blinatumomab": "1597258", "inotuzumab_ozogamicin": "1942950",
                 "gemtuzumab_ozogamicin": "1294580", "imatinib": "282388", "dasatinib": "475342",
                 "bosutinib": "1307619", "clofarabine": "44151", "bortezomib": "358258",
                 "daratumumab": "1721947"}
RXNORM_ANTHRACYCLINES = {"doxorubicin": "3639", "idarubicin": "5650"}
MG_PER_M2 = "mg/m2"


def display(code: str) -> str:
    """The display of a code of rrall's `case` CodeSystem (its CodeSystem has the same)."""
    return OWN.get(code, code.replace("_", " "))
