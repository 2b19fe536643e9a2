"""Importing this module loads what the survival fits and figures need (lifelines,
matplotlib drawing off screen, rrall.cohort.survival) and draws one small figure, so that
fonts and text layout are loaded too. The survival workers' fork server imports it once,
before it forks the workers, which then start warm.

A failure here is never the server's: a fork server whose preload raises dies, and every
worker start would then fail with a bare EOFError. So nothing escapes; the workers import
the stack again on their first job, and a missing or broken package is reported there,
through the job's result, in the user's words."""

import contextlib
import io


def _warm() -> None:
    import lifelines  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import rrall.cohort.cif
    import rrall.cohort.survival  # noqa: F401

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 12], [1, 0.5], drawstyle="steps-post")
    ax.set_title("warm-up", fontsize=12)
    ax.text(0, 0, "0", fontsize=10, fontweight="bold")
    for fmt in ("svg", "png"):
        fig.savefig(io.BytesIO(), format=fmt)
    plt.close(fig)


with contextlib.suppress(Exception):
    _warm()
