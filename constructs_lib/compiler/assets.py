"""Local code and data that a pipeline needs in S3: a manifest, and deterministic packaging.

The compiler never uploads anything. Each local file or directory a step uses gets a placeholder S3 URI in
the definition (ending in the file's real name, because SageMaker puts that name into a Processing job's
``ContainerEntrypoint``) and an :class:`AssetEntry` in the manifest. The CDK layer turns each entry into a CDK
file asset and substitutes the placeholder with the asset's real location.

``sourcedir`` entries are packed as ``sourcedir.tar.gz`` with sorted entries, mtime 0, uid/gid 0 and a gzip
header without timestamp, so the same sources always give the same bytes (and the same asset hash).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

#: Files and directories never packed into a source directory.
EXCLUDED = {"__pycache__", ".git", ".ipynb_checkpoints", ".DS_Store", ".pytest_cache", ".venv"}
ASSET_PREFIX = "smp-assets"


@dataclass(frozen=True, order=True)
class AssetEntry:
    """One local file (``file``) or directory (``sourcedir``, packed as tar.gz) referenced by the definition."""

    placeholder_uri: str
    local_path: str
    kind: Literal["file", "sourcedir"]
    sha256: str

    @property
    def object_name(self) -> str:
        """The object's file name in S3 (the last segment of the placeholder)."""
        return self.placeholder_uri.rsplit("/", 1)[-1]


def _included(path: Path) -> bool:
    return not any(part in EXCLUDED or part.endswith(".pyc") for part in path.parts)


def sourcedir_files(directory: Path) -> list[Path]:
    """Files packed from ``directory``, in a stable order (paths relative to it)."""
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED)
        for name in sorted(files):
            rel = (Path(root) / name).relative_to(directory)
            if _included(rel):
                out.append(rel)
    return sorted(out, key=lambda p: p.as_posix())


def pack_sourcedir(directory: Path) -> bytes:
    """A byte-for-byte reproducible ``sourcedir.tar.gz`` of ``directory``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sourcedir_files(directory):
            data = (directory / rel).read_bytes()
            info = tarfile.TarInfo(rel.as_posix())
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o755 if os.access(directory / rel, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def content_hash(path: Path, kind: str) -> str:
    if kind == "file":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for rel in sourcedir_files(path):
        digest.update(rel.as_posix().encode() + b"\0" + hashlib.sha256((path / rel).read_bytes()).digest())
    return digest.hexdigest()


class AssetCollector:
    """Assigns placeholder URIs to local paths, once per (path, kind), while the compiler builds steps."""

    def __init__(self, root: Path, bucket: str):
        self.root = root
        self.bucket = bucket
        self._entries: dict[tuple[str, str], AssetEntry] = {}

    def add(self, local_path: str, kind: Literal["file", "sourcedir"]) -> str:
        """The placeholder S3 URI of a local file/directory (relative to the project root)."""
        key = (Path(local_path).as_posix(), kind)
        if key not in self._entries:
            path = self.root / local_path
            digest = content_hash(path, kind)
            name = path.name if kind == "file" else "sourcedir.tar.gz"
            uri = f"s3://{self.bucket}/{ASSET_PREFIX}/{digest[:20]}/{name}"
            self._entries[key] = AssetEntry(uri, key[0], kind, digest)
        return self._entries[key].placeholder_uri

    def entries(self) -> tuple[AssetEntry, ...]:
        return tuple(sorted(self._entries.values()))
