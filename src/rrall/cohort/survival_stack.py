"""Importing this module loads what the survival fits and figures need (lifelines,
matplotlib drawing off screen, rrall.cohort.survival) and draws one small figure, so that
fonts and text layout are loaded too. The survival workers' fork server imports it once,
before it forks the workers, which then start warm."""

import io

import lifelines  # noqa: F401
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import rrall.cohort.survival  # noqa: F401


def _draw_once() -> None:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 12], [1, 0.5], drawstyle="steps-post")
    ax.set_title("warm-up", fontsize=12)
    ax.text(0, 0, "0", fontsize=10, fontweight="bold")
    for fmt in ("svg", "png"):
        fig.savefig(io.BytesIO(), format=fmt)
    plt.close(fig)


_draw_once()
