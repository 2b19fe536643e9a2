"""FHIR R4 at the edge: a record in, the case format out; an assessment out as FHIR.

FHIR maps into the Case; it is not the Case. Parsing and validation use fhir.resources
(its R4B models, compatible with R4). docs/fhir-mapping.md lists every code used.
"""
