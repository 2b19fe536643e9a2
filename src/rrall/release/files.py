"""Finding a release: a folder, an archive, or the id of a release kept under RRALL_HOME.

Installed releases live in RRALL_HOME/knowledge/<version>/, one folder per version, never
changed once written, so an assessment made with any of them can be made again.
"""

from __future__ import annotations

import re
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from rrall.errors import ReleaseError
from rrall.knowledge.load import default_knowledge_dir
from rrall.trials.registry import rrall_home

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")
MAX_ARCHIVE_BYTES = 50_000_000


def releases_dir(home: Path | None = None) -> Path:
    return (home or rrall_home()) / "knowledge"


def installed_versions(home: Path | None = None) -> list[str]:
    folder = releases_dir(home)
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if (p / "manifest.yaml").is_file()), key=version_key)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def bundled_version() -> str:
    text = (default_knowledge_dir() / "manifest.yaml").read_text(encoding="utf-8")
    found = re.search(r'^knowledge_version:\s*"?([\d.]+)"?', text, re.MULTILINE)
    return found.group(1) if found else ""


def resolve_release(name: str, home: Path | None = None) -> Path:
    """A knowledge folder for a folder, an archive (unpacked to a temporary folder) or a
    release id (installed under RRALL_HOME, or the bundled release's version)."""
    path = Path(name)
    if path.is_dir():
        return path
    if path.is_file() and name.endswith(ARCHIVES):
        return unpack(path, Path(tempfile.mkdtemp(prefix="rrall-release-")))
    kept = releases_dir(home) / name
    if re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", name) and (kept / "manifest.yaml").is_file():
        return kept
    if name in ("bundled", bundled_version()):
        return default_knowledge_dir()
    known = ", ".join(["bundled", *installed_versions(home)])
    raise ReleaseError(
        f"{name}: not a knowledge folder, an archive ({', '.join(ARCHIVES)}) or a release "
        f"id; the releases known here are: {known}"
    )


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a release archive safely (no absolute paths, no '..', no links, bounded size);
    return the folder that holds manifest.yaml."""
    members: list[tuple[str, bytes]] = []
    total = 0
    try:
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    if not info.is_dir():
                        total += info.file_size
                        _bounded(archive, total)
                        members.append((info.filename, zipped.read(info)))
        else:
            with tarfile.open(archive) as tarred:
                for member in tarred.getmembers():
                    if member.isdir():
                        continue
                    if not member.isfile():
                        raise ReleaseError(
                            f"{archive}: {member.name} is a link or device; a release holds plain files only"
                        )
                    total += member.size
                    _bounded(archive, total)
                    handle = tarred.extractfile(member)
                    members.append((member.name, handle.read() if handle else b""))
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise ReleaseError(f"{archive}: not a readable release archive ({exc})") from None
    for name, body in members:
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ReleaseError(f"{archive}: {name} would be written outside the release folder")
        target = into.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    found = sorted(into.rglob("manifest.yaml"), key=lambda p: len(p.parts))
    if not found:
        raise ReleaseError(f"{archive}: no manifest.yaml inside; a release archive holds a knowledge folder")
    return found[0].parent


def _bounded(archive: Path, total: int) -> None:
    if total > MAX_ARCHIVE_BYTES:
        raise ReleaseError(
            f"{archive}: unpacks to more than {MAX_ARCHIVE_BYTES // 1_000_000} MB; "
            "a knowledge release is far smaller"
        )


def same_files(a: Path, b: Path, names: tuple[str, ...]) -> bool:
    """Whether both releases hold these files with the same bytes."""
    try:
        return all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    except OSError:
        return False


def changelog_since(old_root: Path, new_root: Path) -> str:
    """The CHANGELOG sections of the new release that the old release does not have."""
    old = _sections(old_root / "CHANGELOG.md")
    return "\n\n".join(s for s in _sections(new_root / "CHANGELOG.md") if s not in old)


def _sections(path: Path) -> list[str]:
    if not path.is_file():
        return []
    found: list[list[str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            found.append([line])
        elif found:
            found[-1].append(line)
    return ["\n".join(lines).strip() for lines in found]
