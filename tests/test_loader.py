from pathlib import Path

import pytest
import yaml

from engine import loader
from engine.loader import LoadError, load_any, parse_yaml, validate_model
from engine.scenario import Scenario

from .conftest import DATA


def test_the_c_loader_is_used_when_available() -> None:
    # vars(): SafeLoader is the module's own choice of loader, not an export
    assert vars(loader)["SafeLoader"] is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_valid_files_load() -> None:
    kind, plan, _ = load_any(DATA / "worked-plan.yaml")
    assert kind == "plan" and plan.id == "worked-example"
    kind, scenario, _ = load_any(DATA / "worked-scenario.yaml")
    assert kind == "scenario" and isinstance(scenario, Scenario)
    assert scenario.duration == 3 * 3600


def test_schema_errors_point_at_the_value(tmp_path: Path) -> None:
    text = (DATA / "worked-scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("duration: 3h", "duration: three hours")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_any(path)
    [diag] = info.value.diagnostics
    line = text.splitlines().index("duration: three hours") + 1
    assert (diag.line, diag.col, diag.field) == (line, 11, "duration")
    assert "cannot read 'three hours' as a duration" in diag.message


def test_unknown_field_suggests_the_right_one() -> None:
    doc = parse_yaml(
        "id: x\nplan: p\nfamily: flood\ntitle: t\nduraton: 1h\ninjects: []\n", "s.yaml"
    )
    with pytest.raises(LoadError) as info:
        validate_model(doc, Scenario)
    messages = [str(d) for d in info.value.diagnostics]
    assert "s.yaml:5:1: duraton: unknown field 'duraton'; did you mean 'duration'?" in messages


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(LoadError) as info:
        parse_yaml("id: a\ntitle: x\nid: b\n", "d.yaml")
    assert (
        str(info.value.diagnostics[0]) == "d.yaml:3:1: id: duplicate key (first written on line 1)"
    )


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'id: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(LoadError) as info:
        parse_yaml(text, "evil.yaml")
    assert str(info.value.diagnostics[0]).startswith("evil.yaml:1:5: ")
    assert not marker.exists()


def test_missing_file_is_a_diagnostic() -> None:
    with pytest.raises(LoadError) as info:
        load_any("no/such/file.yaml")
    assert str(info.value.diagnostics[0]) == "no/such/file.yaml:1:1: file not found"


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(LoadError) as info:
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert "aliases expand to more than 1,000,000 nodes" in str(info.value)


def test_recursive_alias_is_refused_at_the_alias() -> None:
    with pytest.raises(LoadError) as info:
        parse_yaml("to: &who [a, *who]\n", "r.yaml")
    assert str(info.value) == "r.yaml:1:14: alias *who refers to a node that contains it"
