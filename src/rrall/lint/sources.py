"""Lint checks for references.yaml: canonical links and identifiers said once.

A tumor board expects to click through to the journal (DOI), PubMed or PMC, the trial
registry, cancer.gov or the regulator. A reference whose `url` is anything else must say
why in `url_reason`; a secondary copy that was read belongs in `read_at`. An identifier
kept in its own field (PMID, PMCID, DOI, NCT) is not repeated in the citation text, and
no two references share a publication identifier (several papers of one trial share its NCT).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlparse

from rrall.knowledge.model import Reference

CANONICAL_HOSTS = frozenset({
    "doi.org", "pubmed.ncbi.nlm.nih.gov", "pmc.ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov",
    "clinicaltrials.gov", "www.clinicaltrials.gov", "www.cancer.gov", "cancer.gov",
    "www.fda.gov", "fda.gov", "www.ema.europa.eu", "ema.europa.eu", "ec.europa.eu", "www.isrctn.com",
})
CANONICAL_SUFFIXES = (".fda.gov", ".cancer.gov")
IDENTIFIERS = ("pmid", "pmcid", "doi", "nct")
PUBLICATION = ("pmid", "pmcid", "doi")


def canonical(url: str) -> bool:
    host = urlparse(url).netloc.lower()
    return host in CANONICAL_HOSTS or host.endswith(CANONICAL_SUFFIXES)


def lint_sources(references: Iterable[Reference]) -> Iterable[str]:
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    named: dict[str, list[str]] = defaultdict(list)
    for ref in references:
        where = f"references.yaml: {ref.id}"
        # The one-line summaries name a source by `short`: every source has one, its own.
        if ref.short is None:
            yield f"{where}: no short name (first author and year, or the body and year)"
        else:
            named[ref.short].append(ref.id)
        if not canonical(ref.url) and not ref.url_reason:
            yield (f"{where}: url {ref.url!r} is not a canonical link (DOI, PubMed, PMC, "
                   "ClinicalTrials.gov, cancer.gov, FDA, EMA or the EU register); link the canonical "
                   "record and keep this one as read_at, or say why in url_reason")
        if ref.read_at and ref.read_at == ref.url:
            yield f"{where}: read_at repeats url; keep read_at for a secondary copy only"
        for field in IDENTIFIERS:
            value = getattr(ref, field)
            if value is None:
                continue
            if field in PUBLICATION:
                holders[(field, value.lower())].append(ref.id)
            if value.lower() in ref.citation.lower():
                yield f"{where}: the citation repeats its {field} {value}; keep it in the {field} field only"
    for short, ids in sorted(named.items()):
        if len(ids) > 1:
            yield (f"references.yaml: the short name {short!r} is given by {', '.join(ids)}; "
                   "each source its own")
    for (field, value), ids in sorted(holders.items()):
        if len(ids) > 1:
            yield f"references.yaml: {field} {value} is given by {', '.join(ids)}; each identifier once"
