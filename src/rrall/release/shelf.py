"""Knowledge releases kept side by side, loadable by version.

The bundled release and every release installed in the workbench are kept in
RRALL_HOME/knowledge/<version>/, checked against their manifest when written and never
changed afterwards, so an assessment made with any of them can be made again byte for
byte from its case version (the engine is one per release: engine_for keeps a few).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from rrall.errors import ReleaseError
from rrall.knowledge.load import KnowledgeBase, default_knowledge, default_knowledge_dir, load_knowledge
from rrall.release.files import installed_versions, releases_dir
from rrall.release.manifest import SUMS, file_sha256, require_verified, write_manifest

VERSION = re.compile(r"\d{4}\.\d{1,2}\.\d+")


class Shelf:
    def __init__(self, home: Path | None = None) -> None:
        self.folder = releases_dir(home)
        self._loaded: dict[str, KnowledgeBase] = {}

    def versions(self) -> list[str]:
        return installed_versions(self.folder.parent)

    def path(self, version: str) -> Path | None:
        """The folder of a kept release (None for anything but a version number: never a path)."""
        if not VERSION.fullmatch(version):
            return None
        kept = self.folder / version
        if (kept / "manifest.yaml").is_file():
            return kept
        if default_knowledge().version == version:
            return default_knowledge_dir()
        return None

    def load(self, version: str, manifest_sha256: str | None = None) -> KnowledgeBase:
        """The release of that version (loaded once per process). With `manifest_sha256`
        (recorded at install), the kept files are checked first: a release changed after it
        was installed is refused."""
        found = self._loaded.get(version)
        if found is not None:
            return found
        if not VERSION.fullmatch(version):
            raise ReleaseError(f"{version!r} is not a knowledge version (YEAR.MONTH.N)")
        if manifest_sha256 is not None:
            kept = self.folder / version
            require_verified(kept)
            if file_sha256(kept / SUMS) != manifest_sha256:
                raise ReleaseError(
                    f"{kept}: its manifest is not the one installed; reinstall the release "
                    "with `rrall knowledge install`"
                )
        if version == default_knowledge().version and not (self.folder / version).is_dir():
            found = default_knowledge()
        else:
            path = self.path(version)
            if path is None:
                raise ReleaseError(
                    f"knowledge {version} is not kept here (looked in {self.folder}); "
                    "install it with `rrall knowledge install` to reproduce its assessments"
                )
            found = load_knowledge(path)
        self._loaded[version] = found
        return found

    def keep(self, root: Path, version: str) -> Path:
        """Copy a verified release into the shelf (once; the same version again must have the
        same manifest). Written to a temporary folder first, then moved into place."""
        if not VERSION.fullmatch(version):
            raise ReleaseError(f"{version!r} is not a knowledge version (YEAR.MONTH.N)")
        target = self.folder / version
        if target.is_dir():
            if file_sha256(target / SUMS) != file_sha256(root / SUMS):
                raise ReleaseError(
                    f"{target}: another knowledge {version} is already kept here; a changed "
                    "release needs a new version number"
                )
            return target
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.folder))
        try:
            shutil.copytree(
                root, partial, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
            require_verified(partial)
            partial.replace(target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    def keep_bundled(self) -> Path:
        """Keep a copy of the bundled release, so its assessments stay reproducible after an
        upgrade of rrall replaces it. A source tree without a manifest gets one in the copy."""
        kb = default_knowledge()
        target = self.folder / kb.version
        if target.is_dir():
            return target
        source = default_knowledge_dir()
        if (source / SUMS).is_file():
            return self.keep(source, kb.version)
        staging = Path(tempfile.mkdtemp(prefix="rrall-bundled-")) / kb.version
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        write_manifest(staging)
        try:
            return self.keep(staging, kb.version)
        finally:
            shutil.rmtree(staging.parent, ignore_errors=True)
