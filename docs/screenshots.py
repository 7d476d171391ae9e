"""Render the README's terminal screenshot: a followed drill, as SVG (rich's exporter).

python docs/screenshots.py   # writes docs/run-follow.svg
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console
from rich.text import Text

from drills.cli.main import main


def render(args: list[str], title: str, out: Path, width: int = 118, head: int = 18) -> None:
    """Run the CLI; keep the first ``head`` timeline lines and the whole summary."""
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    lines = result.stdout.rstrip().splitlines()
    end = next(i for i, line in enumerate(lines) if "■" in line)
    shown = [*lines[:head], "   …", *lines[end:]]
    console = Console(record=True, width=width, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(Text(f"$ drillhall {' '.join(args[:-2])}", style="bold"))
    console.print(Text("\n".join(line[:width] for line in shown)))
    out.write_text(console.export_svg(title=title), encoding="utf-8")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "d.db")
        args = ["run", "flood-river-crest", "--bot", "novice", "--seed", "5", "--follow"]
        render(
            [*args, "--db", db],
            "drillhall run flood-river-crest --follow",
            Path(__file__).parent / "run-follow.svg",
        )
