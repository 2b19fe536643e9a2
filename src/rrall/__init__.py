"""rrall: decision support for relapsed and refractory childhood ALL.

Decision support for qualified clinicians, for research and education; it does not
prescribe. `assess(case, kb)` is the one entry point every surface calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rrall._version import __version__

__all__ = ["__version__", "assess", "load_case", "load_knowledge"]

if TYPE_CHECKING:
    from rrall.assessment import assess
    from rrall.case.load import load_case
    from rrall.knowledge.load import load_knowledge


def __getattr__(name: str) -> Any:
    # Lazy, so `rrall --version` and `import rrall` stay fast.
    if name == "assess":
        from rrall.assessment import assess

        return assess
    if name == "load_case":
        from rrall.case.load import load_case

        return load_case
    if name == "load_knowledge":
        from rrall.knowledge.load import load_knowledge

        return load_knowledge
    raise AttributeError(name)
