"""Result wording shared by every surface."""

from __future__ import annotations

from rrall.results import UNVERIFIED, unverified


def test_unverified_keeps_names_and_lowercases_plain_words() -> None:
    assert unverified("Down syndrome: congenital heart disease is common.") == (
        UNVERIFIED + "Down syndrome: congenital heart disease is common.")
    assert unverified("Switching TKI is taken from adult guidance.") == (
        UNVERIFIED + "switching TKI is taken from adult guidance.")
    assert unverified("CD22 expression is dim.") == UNVERIFIED + "CD22 expression is dim."
    assert unverified("Ph-positive relapse.") == UNVERIFIED + "Ph-positive relapse."
