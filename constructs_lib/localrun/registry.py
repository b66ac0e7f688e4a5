"""A local model registry: ``<workdir>/registry/<group>/<version>/package.json``.

A package is written whole or not at all (written in a temporary folder, then renamed). Registering a
package identical to the group's latest version (same model data, containers, metrics, approval status)
returns that version instead of adding a copy, so re-running an unchanged pipeline adds nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")


class LocalRegistry:
    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()

    def versions(self, group: str) -> list[int]:
        folder = self.root / group
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and (p / "package.json").is_file())

    def package(self, group: str, version: int) -> dict[str, Any]:
        return json.loads((self.root / group / str(version) / "package.json").read_text())

    def register(self, content: dict[str, Any], provenance: dict[str, Any]) -> tuple[int, bool]:
        """(version, reused): ``content`` is what identifies the package, ``provenance`` who registered it."""
        group = content["group"]
        with self._lock:
            versions = self.versions(group)
            if versions:
                latest = self.package(group, versions[-1])
                if latest.get("content") == content:
                    return versions[-1], True
            version = (versions[-1] if versions else 0) + 1
            folder = self.root / group
            folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".new-"))
            try:
                document = {
                    "group": group,
                    "version": version,
                    "approvalStatus": content["approvalStatus"],
                    "content": content,
                    **provenance,
                }
                (tmp / "package.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
                os.rename(tmp, folder / str(version))
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            return version, False
