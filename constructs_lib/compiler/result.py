"""The result of compiling: a definition and its asset manifest (importable without the SageMaker SDK)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs_lib.compiler.assets import AssetEntry
from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.errors import Problem

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class CompiledPipeline:
    """A definition plus what must exist for it to run."""

    name: str
    definition: str
    """The definition JSON exactly as ``Pipeline.definition()`` returns it."""
    assets: tuple[AssetEntry, ...]
    """Local files/directories to upload; their placeholder URIs appear in ``definition``."""
    bindings: InfraBindings
    model_package_groups: tuple[str, ...]
    step_count: int
    warnings: tuple[Problem, ...] = ()
    """Accepted, but likely not what is meant (see :mod:`constructs_lib.compiler.rules`)."""

    def manifest(self) -> dict[str, Any]:
        """The asset manifest written beside the definition (see the README)."""
        return {
            "version": MANIFEST_VERSION,
            "pipeline": self.name,
            "placeholders": {
                value: name for value, name in sorted(self.bindings.placeholders().items()) if value in self.definition
            },
            "modelPackageGroups": list(self.model_package_groups),
            "assets": [_asset(a) for a in self.assets],
        }


def _asset(entry: AssetEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "placeholderUri": entry.placeholder_uri,
        "localPath": entry.local_path,
        "kind": entry.kind,
        "sha256": entry.sha256,
    }
    if entry.entry_dir:
        out["entryDir"] = entry.entry_dir
    if entry.kind == "generated":
        out["content"] = entry.content
    return out
