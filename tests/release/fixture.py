"""A fixture knowledge release, 2027.1.0, made from the bundled one with three changes whose
effect on the example cases is worked out from the tables (docs/knowledge-releases.md):

1. a threshold: BFM's transplant rule for S2 relapses involving the marrow compares MRD
   after reinduction with 0.01 % instead of 0.1 %. Only b-marrow-late (BFM S2, marrow,
   MRD 0.03 %) falls between the two bounds; b-combined-early (0.2 %) and b-combined-late
   (0.005 %) stay on their side, cases without MRD stay "depends on MRD".
2. an option status: blinatumomab in Ph-positive disease becomes standard instead of
   consider. Only ph-positive-t315i is BCR::ABL1-positive; second-relapse and
   third-relapse-after-car-t stop earlier, at the rule for a relapse after blinatumomab.
3. a prognosis figure: 2-year OS after a second allogeneic SCT (Kato 2012) 29.4 % -> 31.0 %.
   Only post-allo-hsct-relapse relapsed after an allogeneic HSCT.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rrall.knowledge.load import default_knowledge_dir
from rrall.release.manifest import write_manifest

NEW_VERSION = "2027.1.0"
AFFECTED = {
    # the S2 transplant rules carry their own unverified caution (the MRD time point), so
    # the rule that now applies brings its caution and the other's goes
    "b-marrow-late": {"hsct_rule", "caution_added", "caution_removed"},
    "ph-positive-t315i": {"option_status"},
    "post-allo-hsct-relapse": {"prognosis_figure"},
}
EDITS = {
    "frameworks/bfm.yaml": [
        (
            "when: {group: S2, marrow_involved: true, mrd_end_of_reinduction: {at_least: 0.1 %}}",
            "when: {group: S2, marrow_involved: true, mrd_end_of_reinduction: {at_least: 0.01 %}}",
        ),
        (
            "when: {group: S2, marrow_involved: true, mrd_end_of_reinduction: {below: 0.1 %}}",
            "when: {group: S2, marrow_involved: true, mrd_end_of_reinduction: {below: 0.01 %}}",
        ),
    ],
    "therapies.yaml": [
        (
            "      - id: blinatumomab.ph-positive\n        when: {bcr_abl1: true}\n        status: consider",
            "      - id: blinatumomab.ph-positive\n        when: {bcr_abl1: true}\n        status: standard",
        ),
    ],
    "prognosis.yaml": [
        (
            '    endpoint: OS\n    timepoint: "2 years"\n    value_percent: 29.4\n',
            '    endpoint: OS\n    timepoint: "2 years"\n    value_percent: 31.0\n',
        ),
    ],
}


def make_release(into: Path, source: Path | None = None, version: str = NEW_VERSION) -> Path:
    """Write the fixture release into `into` (a new folder) and return it (`version`: its
    knowledge version, for a second release with the same changes)."""
    source = source or default_knowledge_dir()
    shutil.copytree(source, into)
    for name, edits in EDITS.items():
        path = into / name
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    manifest = into / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    old_version = text.split('knowledge_version: "')[1].split('"')[0]
    manifest.write_text(
        text.replace(f'knowledge_version: "{old_version}"', f'knowledge_version: "{version}"'),
        encoding="utf-8",
    )
    changelog = into / "CHANGELOG.md"
    lines = changelog.read_text(encoding="utf-8").split("\n## ", 1)
    entry = (
        f"## {version} (2027-01-15)\n"
        "- BFM transplant rule for S2 relapses involving the marrow: MRD threshold 0.01 % (was 0.1 %).\n"
        "- Blinatumomab in a second or later relapse: standard (was consider).\n"
        "- 2-year OS after a second allogeneic SCT (Kato 2012): 31.0 % (was 29.4 %).\n\n"
    )
    changelog.write_text(lines[0] + "\n" + entry + "## " + lines[1], encoding="utf-8")
    write_manifest(into)
    return into
