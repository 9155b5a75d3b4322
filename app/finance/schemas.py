"""Request and response shapes of finance's JSON routes: ledger upserts and findings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from investigations import bounds


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: bounds.Text = Field(
        min_length=1, max_length=1000, description="why the finding is closed, e.g. credited by hand"
    )


class UpsertOut(BaseModel):
    received: int
    created: int
    updated: int
    unchanged: int


def json_list_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON list of `model` as the request body of a route that reads
    its body itself (definitions inlined, so the document needs no extra components)."""
    schema = TypeAdapter(list[model]).json_schema()  # type: ignore[valid-type]
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}
