"""Compiled snapshots: a validated object (the knowledge base, the trial registry) kept as
a pickle under the SHA-256 of everything it was built from, so a process loads it in
milliseconds instead of reading and validating every file again.

The key covers rrall's version, Python's version, the snapshot's kind and, for every
source file, its path and its bytes: any change to a file (or a file added or removed)
gives another key, and the snapshot is rebuilt. A snapshot file also carries the SHA-256
of its own body, checked before it is unpickled, so a damaged file is rebuilt rather than
half-read. The folder (RRALL_CACHE, default ~/.cache/rrall; "off" turns snapshots off) is
created private to the user (0700), like any of the user's own files that Python runs: a
person who can write there can already run code as the user. Snapshots hold only
knowledge and trial records, never case data.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from rrall._version import __version__

T = TypeVar("T")
_DIGEST = 32  # bytes of SHA-256 at the head of a snapshot file


def cache_root() -> Path | None:
    setting = os.environ.get("RRALL_CACHE", "")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rrall"


def source_key(kind: str, root: Path, files: Iterable[Path], stamped: Iterable[str | Path] = ()) -> str:
    """The SHA-256 of what a snapshot is built from: versions, kind, folder, and each
    file's path and bytes (a missing file counts as missing, not as empty); for the
    `stamped` files (many small records a program writes whole, e.g. 10,000 imported
    trials), their path, size, inode and modification time instead of their bytes."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{kind}\0{root.resolve()}\0".encode())
    for path in sorted(stamped, key=str):  # strings: Path objects are slow on 10,000 records
        try:
            info = os.stat(path)  # noqa: PTH116 (the same: a string need not become a Path)
        except OSError:
            digest.update(f"{path}\0missing\0".encode())
            continue
        digest.update(f"{path}\0{info.st_size}\0{info.st_ino}\0{info.st_mtime_ns}\0".encode())
    for path in sorted(files):
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode() + b"\0")
        try:
            body = path.read_bytes()
        except OSError:
            digest.update(b"missing\0")
            continue
        digest.update(len(body).to_bytes(8, "big") + body)
    return digest.hexdigest()


def snapshot(kind: str, root: Path, files: Iterable[Path], build: Callable[[], T],
             stamped: Iterable[str | Path] = ()) -> T:
    """`build()`, or the same object from the snapshot of exactly these files."""
    folder = cache_root()
    if folder is None:
        return build()
    path = folder / f"{kind}-{source_key(kind, root, files, stamped)[:40]}.pickle"
    try:
        raw = path.read_bytes()
        body = memoryview(raw)[_DIGEST:]
        if len(raw) > _DIGEST and hashlib.sha256(body).digest() == raw[:_DIGEST]:
            found: T = pickle.loads(body)
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # no snapshot, or one that does not load: build it again
    built = build()
    _write(path, built)
    return built


def _write(path: Path, value: object) -> None:
    try:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(hashlib.sha256(body).digest() + body)
        partial.replace(path)  # atomic: a reader never sees half a file
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # without a snapshot the next run is only slower
