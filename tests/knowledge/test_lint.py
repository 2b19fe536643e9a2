"""The knowledge base lints clean, and each lint check fires on a broken copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rrall.lint import lint
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "knowledge"


def test_shipped_knowledge_is_clean() -> None:
    assert lint(KNOWLEDGE) == []


def _edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / name
        text = path.read_text()
        assert old in text, f"fixture out of date: {old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))

    return apply


BROKEN = {
    "dangling citation": (
        _edit(
            "frameworks/bfm.yaml",
            "group: S1, citations: [Hunger-table]",
            "group: S1, citations: [Nobody2099]",
        ),
        "'Nobody2099', which is not in",
    ),
    "link that is not canonical": (
        _edit("references.yaml", 'url: "https://pmc.ncbi.nlm.nih.gov/articles/PMC3374496"',
              'url: "https://www.scribd.com/document/1/copy"'),
        "is not a canonical link",
    ),
    "identifier repeated in the citation": (
        _edit("references.yaml", "Blood 2022;139(12):1785-1793.",
              "Blood 2022;139(12):1785-1793. doi 10.1182/blood.2021012328."),
        "the citation repeats its doi",
    ),
    "publication identifier in two references": (
        _edit("references.yaml", 'pmid: "22494120"', 'pmid: "21967976"'),
        "is given by",
    ),
    "unused reference": (
        _edit("frameworks/bfm.yaml", "[Hunger-table, Tallen2010, NCT00114348]", "[Hunger-table, Tallen2010]"),
        "'NCT00114348' is not cited",
    ),
    "gap in a table": (
        _edit(
            "frameworks/uk.yaml", "timing_bfm: late}, group: standard", "timing_bfm: early}, group: standard"
        ),
        "matches no row",
    ),
    "overlap in a table": (
        _edit("frameworks/cog.yaml", "when: {immunophenotype: T}", "when: {timing_cog: early}"),
        "exactly one row must match",
    ),
    "unknown fact": (
        _edit("frameworks/cog.yaml", "when: {immunophenotype: T}", "when: {lineage: T}"),
        "unknown fact 'lineage'",
    ),
    "unknown operator": (
        _edit(
            "frameworks/bfm.yaml",
            "mrd_end_of_reinduction: {at_least: 0.1 %}",
            "mrd_end_of_reinduction: {more_than: 0.1 %}",
        ),
        "unknown operator 'more_than'",
    ),
    "unit not allowed": (
        _edit(
            "frameworks/bfm.yaml",
            "mrd_end_of_reinduction: {at_least: 0.1 %}",
            "mrd_end_of_reinduction: {at_least: 0.1 months}",
        ),
        "unit 'months' is not one of",
    ),
    "bound on a category": (
        _edit("frameworks/cog.yaml", "when: {immunophenotype: T}", "when: {immunophenotype: {at_least: 2}}"),
        "immunophenotype is not a number",
    ),
    "value outside domain": (
        _edit("frameworks/cog.yaml", "when: {immunophenotype: T}", "when: {immunophenotype: NK}"),
        "'NK' is not one of",
    ),
    "group not declared": (
        _edit("frameworks/uk.yaml", "group: high, note:", "group: very_high, note:"),
        "'very_high' is not one of",
    ),
    "schema: unknown key": (
        _edit("frameworks/uk.yaml", "short_name: UK", "short_name: UK\ncolour: red"),
        "colour",
    ),
    "schema: rule without citation": (
        _edit(
            "frameworks/uk.yaml",
            "group: standard, citations: [Hunger-table]",
            "group: standard, citations: []",
        ),
        "at least 1 item",
    ),
    "duplicate id": (_edit("frameworks/uk.yaml", "id: uk.hsct.high", "id: uk.hsct.standard"), "used 2 times"),
    "bad yaml": (_edit("references.yaml", "format_version: 1", "format_version: [1"), "not valid YAML"),
    "option without evidence": (
        _edit("therapies.yaml", "  - id: pjp_prophylaxis\n", "  - id: pjp_prophylaxis2\n"),
        "pjp_prophylaxis2: no evidence item",
    ),
    "evidence for an unknown option": (
        _edit(
            "evidence.yaml",
            "therapies: [testicular_radiation, orchiectomy]",
            "therapies: [testicular_radiation, orchidopexy]",
        ),
        "links unknown therapy 'orchidopexy'",
    ),
    "evidence without a source": (
        _edit("evidence.yaml", "    citation: Alexander2018\n", "    citation: Nobody2099\n"),
        "'Nobody2099', which is not in",
    ),
    "option rule without a source": (
        _edit(
            "therapies.yaml",
            "requires_citations: [PDQ-7]\n    default:",
            "requires_citations: []\n    default:",
        ),
        "need requires_citations",
    ),
    "criteria: unknown requirement": (
        _edit("therapies.yaml", "requires: {relapse_sites: {has: testis}}", "requires: {involves: [testis]}"),
        "unknown fact 'involves'",
    ),
    "criteria: value outside vocabulary": (
        _edit(
            "therapies.yaml",
            "requires: {relapse_sites: {has: testis}}",
            "requires: {relapse_sites: {has: ovary}}",
        ),
        "'ovary' is not one of",
    ),
    "criteria: a rule that can never decide": (
        _edit(
            "therapies.yaml",
            "        when: {disease_state: first_relapse}\n        status: standard",
            "        when: {disease_state: [first_relapse, second_relapse, third_or_later_relapse]}\n"
            "        status: standard",
        ),
        "rule reinduction.later-relapse can never decide",
    ),
    "anthracycline default table missing": (
        _edit("anthracyclines.yaml", "default_table: pancare", "default_table: pancare2"),
        "default_table 'pancare2'",
    ),
    "trial: unknown criterion": (
        _edit(
            "trials/NCT01802814.yaml",
            "    age:\n      at_least: 1 year\n      at_most: 17 years\n",
            "    min_age: 1\n",
        ),
        "unknown fact 'min_age'",
    ),
    "trial: not the most conservative status": (
        _edit("trials/NCT04546399.yaml", "  status: suspended\n", "  status: recruiting\n"),
        "most conservative",
    ),
    "trial: not curated": (
        _edit("trials/NCT01802814.yaml", "  curated: true", "  curated: false"),
        "are curated",
    ),
    "glossary: unlabelled value": (
        _edit("glossary/en.yaml", "    KMT2A: KMT2A rearrangement\n", ""),
        "values.genetic_lesion: 'KMT2A' has no label",
    ),
    "glossary: unlabelled field": (
        _edit(
            "glossary/en.yaml",
            "  relapses[].cd22: {label: CD22 at relapse",
            "  relapses[].cd22x: {label: CD22 at relapse",
        ),
        "case field 'relapses[].cd22' has no label",
    ),
    "glossary: short HSCT words incomplete": (
        _edit("glossary/en.yaml", "depends_on_backbone: depends on the treatment backbone}\n  hsct_in_cr2",
              "}\n  hsct_in_cr2"), "values.hsct_short: 'depends_on_backbone' has no label"),
    "family: a therapy without words": (_edit("family/es.yaml", "  orchiectomy: Una operación para quitar un "
                                              "testículo.\n", ""), "family/es.yaml: options: no words for "
                                        "therapy 'orchiectomy'"),
    "family: a missing sentence": (
        _edit("family/es.yaml", "  late: Volvió un tiempo", "  tarde: Volvió un tiempo"),
        "family/es.yaml: timing: 'late' is missing"),
    "family: a dangling citation": (_edit("family/en.yaml", "  state: [PDQ-1, Raetz2012]",
                                          "  state: [PDQ-1, Nobody2099]"),
                                    "family/en.yaml: citations.state: 'Nobody2099'"),
    "family: an outlook no rule says when": (
        _edit("family/outlook.yaml", "  - timing: very_early\n", "  - timing: early\n"),
        "family/outlook.yaml: no rule says when the 'very_early' outlook is said"),
    "family: an outlook rule without words": (
        _edit("family/outlook.yaml", "  - timing: very_early\n", "  - timing: early\n"),
        "family/outlook.yaml: 'early' has no words in family/en.yaml timing_outlook"),
    "family: an outlook's dangling citation": (
        _edit("family/outlook.yaml", "    citations: [PDQ-1, Hunger2020]\n",
              "    citations: [PDQ-1, Nobody2099]\n"),
        "family/outlook.yaml: very_early: citation 'Nobody2099' is not in references.yaml"),
    "family: an outlook reading an unknown fact": (
        _edit("family/outlook.yaml", "{timing_bfm: very_early, refractory: false}",
              "{timing_bfm: very_early, refractoriness: false}"),
        "refractoriness"),
    "family: a date without its month": (
        _edit("family/es.yaml", 'date_pattern: "{day} de {month} de {year}"',
              'date_pattern: "{day} de {year}"'),
        "family/es.yaml: months must name the 12 months"),
    "family: no readability bound": (
        _edit("family/es.yaml", "readability: {measure: fernandez_huerta, at_least: 70}",
              "readability: {measure: fernandez_huerta}"), "exactly one of"),
    "row phase that is the therapy's own": (
        _edit("therapies.yaml", "phase: reinduction  # the relapsed/refractory indication",
              "phase: consolidation  # the relapsed/refractory indication"),
        "rule blinatumomab.ph-positive: phase 'consolidation' is the therapy's own",
    ),
    "figure without a time point, unsaid": (
        _edit("prognosis.yaml",
              '    note: "The abstract read gives no timepoint with this figure; the overall survival '
              'beside it is at 2 years."\n', ""),
        "kato2012-second-hsct-cir: no timepoint, and its note does not say the source gives none",
    ),
    "two sources sharing a short name": (
        _edit("references.yaml", '    short: "Berg 2005"', '    short: "Bossu 2022"'),
        "the short name 'Bossu 2022' is given by",
    ),
    "a source without a short name": (
        _edit("references.yaml", '    short: "Berg 2005"\n', ""),
        "references.yaml: Berg2005: no short name",
    ),
    "framework not in manifest": (
        _edit("manifest.yaml", "[bfm, intreall, cog, uk]", "[bfm, intreall, cog]"),
        "not listed in manifest",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_check_fires(tmp_path: Path, name: str) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    breaker, expected = BROKEN[name]
    breaker(root)
    problems = lint(root)
    assert any(expected in p for p in problems), problems


def test_parsed_yaml_cache_gives_the_same_knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rrall.knowledge.load import load_knowledge

    monkeypatch.setenv("RRALL_CACHE", str(tmp_path / "cache"))
    first = load_knowledge(ROOT / "knowledge")  # writes the cache
    files = sorted((tmp_path / "cache").glob("knowledge-*.json"))
    assert files
    second = load_knowledge(ROOT / "knowledge")  # reads it
    assert first.therapies == second.therapies and first.prognosis == second.prognosis
    for path in files:  # a damaged cache file is ignored, never trusted
        path.write_bytes(b"{not json")
    assert load_knowledge(ROOT / "knowledge").evidence == first.evidence


def test_a_release_from_before_the_outlook_rules_still_lints_clean(tmp_path: Path) -> None:
    """A release made before 2026.12.33 has no family/outlook.yaml, months, date pattern or
    date label: it must still lint clean, so that it can be installed to reproduce its
    assessments (its family summary then says no outlook)."""
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    (root / "family" / "outlook.yaml").unlink()
    for name in ("en.yaml", "es.yaml"):
        path = root / "family" / name
        kept = [line for line in path.read_text().splitlines(keepends=True)
                if not line.startswith(("months:", "date_pattern:", "  as_of:"))]
        path.write_text("".join(kept))
    assert lint(root) == []
