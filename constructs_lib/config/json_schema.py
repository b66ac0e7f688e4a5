"""The JSON Schema of a model config file, for editors (yaml-language-server) and documentation."""

from __future__ import annotations

from typing import Any

from constructs_lib.config.schema import ConfigFile

SCHEMA_ID = "https://github.com/smp-cdk/constructs_lib/model-config.schema.json"


def config_json_schema() -> dict[str, Any]:
    schema = ConfigFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "SageMaker pipeline model configuration (conf.yaml)"
    # The original names the preprocessing section 'processing' in its README and 'preprocess' in its
    # examples: both are accepted, so the schema shows both.
    model = schema["$defs"]["ModelConfig"]["properties"]
    model["processing"] = dict(model["preprocess"], description="Another name of 'preprocess'.")
    return schema
