"""Where Drillhall keeps its data by default (overridable with --db or DRILLHALL_DB)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def default_db_path() -> Path:
    override = os.environ.get("DRILLHALL_DB")
    if override:
        return Path(override)
    return Path(user_data_dir("drillhall", appauthor=False)) / "drillhall.db"


def reports_dir() -> Path:
    """Where a console writes the reports it opens (a joined trainee has no database)."""
    return Path(user_data_dir("drillhall", appauthor=False)) / "reports"
