"""The shipped JSON Schema is current, a valid draft-07 schema, and accepts shipped files."""

import json
from pathlib import Path

import jsonschema
import pytest

from drills.library.catalog import library_dir
from engine.loader import read_document
from engine.schema import schema_files

from .conftest import DATA


def test_shipped_schema_matches_the_models() -> None:
    for name, text in schema_files().items():
        shipped = (library_dir() / name).read_text(encoding="utf-8")
        assert shipped == text, f"{name} is stale: run `drillhall schema`"


@pytest.mark.parametrize("name", ["plan.schema.json", "scenario.schema.json"])
def test_schema_is_valid_for_editors(name: str) -> None:
    schema = json.loads((library_dir() / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "prefixItems" not in json.dumps(schema)


def _files() -> list[tuple[str, Path]]:
    root = library_dir()
    plans = [*sorted(root.glob("plans/*.yaml")), DATA / "worked-plan.yaml"]
    scenarios = sorted(p for p in root.glob("*/*.yaml") if p.parent.name != "plans")
    scenarios += [DATA / "worked-scenario.yaml", DATA / "branching-scenario.yaml"]
    return [("plan.schema.json", p) for p in plans] + [
        ("scenario.schema.json", p) for p in scenarios
    ]


@pytest.mark.parametrize(("name", "path"), _files(), ids=lambda v: getattr(v, "name", v))
def test_files_validate_against_the_schema(name: str, path: Path) -> None:
    schema = json.loads((library_dir() / name).read_text(encoding="utf-8"))
    data = read_document(path).data  # the same (C) loader the app uses
    jsonschema.Draft7Validator(schema).validate(data)


@pytest.mark.parametrize(("name", "path"), _files(), ids=lambda v: getattr(v, "name", v))
def test_c_and_pure_python_loaders_agree(name: str, path: Path) -> None:
    """libyaml accepts a few things PyYAML's pure parser rejects (e.g. `?` in flow maps)."""
    import yaml

    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == read_document(path).data
