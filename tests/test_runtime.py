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
