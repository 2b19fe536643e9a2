"""The collector settings apply only in processes rrall owns: a library caller's heap is
never frozen and its thresholds never changed; an owned process gets rare full passes."""

from __future__ import annotations

import gc

import pytest

from rrall import runtime


def test_a_library_callers_process_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_OWNED", False)
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    runtime.freeze_loaded()
    assert gc.get_freeze_count() == frozen
    assert gc.get_threshold() == thresholds


def test_an_owned_process_makes_full_passes_rare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_OWNED", False)
    thresholds = gc.get_threshold()
    try:
        runtime.few_full_collections()
        assert gc.get_threshold() == (runtime.YOUNG, runtime.MIDDLE, runtime.OLD)
        runtime.freeze_loaded()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_library_callers_heap_is_not_frozen_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_OWNED", False)
    frozen = gc.get_freeze_count()
    runtime.freeze_at_exit()
    assert gc.get_freeze_count() == frozen


def test_a_command_leaves_its_heap_frozen_and_loads_no_pydantic_plugin() -> None:
    """The CLI freezes what is alive as a command ends (the exit's full collection then skips
    it), its output is complete all the same, and no third-party pydantic plugin (which
    would see every case) was loaded."""
    import subprocess
    import sys
    from pathlib import Path

    case = Path(__file__).resolve().parents[1] / "examples" / "cases" / "b-marrow-early.yaml"
    script = (
        "import atexit, gc, os, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0,"
        " os.environ.get('PYDANTIC_DISABLE_PLUGINS'), file=sys.stderr))\n"
        "from rrall.cli import main\n"
        f"sys.argv = ['rrall', 'assess', {str(case)!r}, '--format', 'json']\n"
        "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("}") and '"case_id": "b-marrow-early"' in done.stdout
    assert "frozen True __all__" in done.stderr
