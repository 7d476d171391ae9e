"""JSON Schemas generated from the file models, for editor autocompletion.

yaml-language-server validates with draft-07, so the schema avoids tuple fields (which
pydantic would emit as 2020-12 ``prefixItems``); a test checks it against both drafts.
"""

from __future__ import annotations

import json
from typing import Any

from engine.plan import Plan
from engine.scenario import Scenario

SCHEMA_FILES: dict[str, type[Plan] | type[Scenario]] = {
    "plan.schema.json": Plan,
    "scenario.schema.json": Scenario,
}


def schema_for(model: type[Plan] | type[Scenario]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["$id"] = f"https://drillhall.invalid/{model.__name__.lower()}.schema.json"
    return schema


def schema_files() -> dict[str, str]:
    """File name -> text, exactly as shipped under scenarios/."""
    return {
        name: json.dumps(schema_for(model), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for name, model in SCHEMA_FILES.items()
    }
