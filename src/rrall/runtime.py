"""Process-wide settings for the processes rrall owns (the CLI, batch workers, the web
service). A library caller's process is left as it is.

The engine keeps many shared results alive for as long as the process runs (bounded by its
memo). Python's full garbage collections scan every one of them: on 12,000 varied cases in
one process they took 4.8 s of 26 s while finding almost nothing, since the results are
immutable and rarely form cycles. So full collections are made rare; young objects are
still collected, every 50,000 allocations instead of every 700; and a batch or the
service freezes what is loaded before the work starts (the knowledge base, the warm
engine) out of every scan. When a command ends, everything alive is frozen too, so that
the interpreter's last full collection at exit does not walk it (about 0.1 s of a 0.45 s
one-case run, 0.35 s at the end of a cohort); memory still goes back with the process,
and objects still close when their last reference goes.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between collections of the youngest generation (default 700)
MIDDLE = 50  # young collections per middle one (default 10)
OLD = 100  # middle collections before a full one is considered (default 10)


_OWNED = False  # set by the process's own entry point (the CLI, the service)


def few_full_collections() -> None:
    """Called by an entry point rrall owns: its process's collector settings are rrall's."""
    global _OWNED
    _OWNED = True
    gc.set_threshold(YOUNG, MIDDLE, OLD)


def freeze_loaded() -> None:
    """Move everything alive now out of the collector's scans (also keeps a forked
    worker's copy of those pages shared with its parent). Only in a process rrall owns
    (after `few_full_collections`): a library caller's heap is left as it is."""
    if not _OWNED:
        return
    gc.collect()
    gc.freeze()


def freeze_at_exit() -> None:
    """Called as a command of a process rrall owns ends: the exit's full collection then
    skips everything alive (only objects kept alive by nothing but a cycle are left to the
    operating system instead of being collected)."""
    if _OWNED:
        gc.freeze()
