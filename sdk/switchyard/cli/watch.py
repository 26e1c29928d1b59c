"""Live progress of a run, from its event stream: one row per pipeline stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from switchyard.client import Client
from switchyard.models import RunEvent

STAGES = ("pre-flight", "execution", "post-generation", "delivery")

# run.<status> → (stage it settles, outcome, stage it starts)
_MOVES: dict[str, tuple[str | None, str, str | None]] = {
    "run.approved": ("pre-flight", "done", None),
    "run.rejected": ("pre-flight", "failed", None),
    "run.running": (None, "", "execution"),
    "run.generated": ("execution", "done", "post-generation"),
    "run.awaiting_approval": ("post-generation", "waiting", None),
    "run.passed": ("post-generation", "done", "delivery"),
    "run.blocked": ("post-generation", "failed", None),
    "run.delivered": ("delivery", "done", None),
    "run.delivery_failed": ("delivery", "failed", None),
}
_MARKS = {"pending": "[dim]·[/dim]", "done": "[green]✓[/green]", "failed": "[red]✗[/red]"}
_MARKS |= {"waiting": "[yellow]⏸[/yellow]", "cancelled": "[yellow]⊘[/yellow]"}


@dataclass
class RunProgress:
    """What the event stream has said so far about each stage."""

    states: dict[str, str] = field(default_factory=lambda: dict.fromkeys(STAGES, "pending"))
    details: dict[str, str] = field(default_factory=dict)
    steps: int = 0
    tool_calls: int = 0
    deliveries: int = 0
    last_event: str = ""

    def _active(self) -> str | None:
        return next((s for s in STAGES if self.states[s] == "active"), None)

    def apply(self, event: RunEvent) -> None:
        """Take one event into account."""
        self.last_event = event.type
        if event.type == "step.completed":
            self.steps += 1
        elif event.type == "tool_call.completed":
            self.tool_calls += 1
        elif event.type == "delivery.completed":
            self.deliveries += 1
        elif event.type in ("run.failed", "run.cancelled"):
            stage = self._active() or "pre-flight"
            self.states[stage] = "failed" if event.type == "run.failed" else "cancelled"
            self.details[stage] = str(event.data.get("message") or event.type[4:])
        elif event.type in _MOVES:
            settled, outcome, started = _MOVES[event.type]
            if settled:
                self.states[settled] = outcome
                if outcome in ("failed", "waiting"):
                    self.details[settled] = str(event.data.get("message") or event.type[4:])
            if started:
                self.states[started] = "active"
        if event.type == "run.requested":
            self.states["pre-flight"] = "active"

    def render(self) -> Table:
        """The stages as a table, the active one with a spinner."""
        table = Table("", "stage", "detail", box=None, show_header=False)
        counts = {
            "execution": f"{_count(self.steps, 'model step')}, "
            f"{_count(self.tool_calls, 'tool call')}",
            "delivery": _count(self.deliveries, "delivery") if self.deliveries else "",
        }
        for stage in STAGES:
            state = self.states[stage]
            mark = Spinner("dots") if state == "active" else Text.from_markup(_MARKS[state])
            detail = " · ".join(d for d in (counts.get(stage, ""), self.details.get(stage)) if d)
            table.add_row(mark, stage, detail)
        return table


def _count(number: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number} {noun if number == 1 else plural}"


def watch(client: Client, run_id: str, console: Console) -> RunProgress:
    """Show the run's progress live until its terminal event; returns what was seen."""
    progress = RunProgress()
    with Live(progress.render(), console=console, refresh_per_second=8, transient=False) as live:
        for event in client.stream_events(run_id):
            progress.apply(event)
            live.update(progress.render())
    if not console.is_terminal:
        console.line()  # rich ends the live table with a newline on terminals only
    return progress
