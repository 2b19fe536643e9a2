"""A progress-bar column showing the rate in cases per second."""

from __future__ import annotations

from rich.progress import ProgressColumn, Task
from rich.text import Text


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} cases/s" if task.speed else "", style="progress.data.speed")
