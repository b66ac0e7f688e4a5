"""Local code and data that a pipeline needs in S3: a manifest, and deterministic packaging.

The compiler never uploads anything. Each local file or directory a step uses gets a placeholder S3 URI in
the definition (ending in the file's real name, because SageMaker puts that name into a Processing job's
``ContainerEntrypoint``) and an :class:`AssetEntry` in the manifest. The CDK layer turns each entry into a CDK
file asset and substitutes the placeholder with the asset's real location.

``sourcedir`` entries are packed as ``sourcedir.tar.gz`` with sorted entries, mtime 0, uid/gid 0 and a gzip
header without timestamp, so the same sources always give the same bytes (and the same asset hash). A
``sourcedir`` entry with an ``entry_dir`` is the original framework's layout for a training entry point in a
subfolder: that subfolder's files at the archive root, and the whole source directory beside them (SDK v2
``source_dir`` + ``dependencies``; on a name clash the source directory's file wins, as when the SDK's tar is
extracted). ``generated`` entries are small files the compiler writes itself (the Processing bootstrap
``runproc.sh``); their text is in the manifest. :func:`asset_bytes` gives the bytes of any entry: the CDK layer
and a local runner both use it.
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
    kind: Literal["file", "sourcedir", "generated"]
    sha256: str
    entry_dir: str = ""
    """``sourcedir`` only: a subfolder packed at the archive root, the whole directory beside it."""
    content: str = ""
    """``generated`` only: the file's text."""

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


def archive_members(directory: Path, entry_dir: str = "") -> dict[str, Path]:
    """Archive name -> file, for ``directory`` (or the subfolder layout of ``entry_dir``), in a stable order."""
    members: dict[str, Path] = {}
    if entry_dir:
        sub = directory / entry_dir
        for rel in sourcedir_files(sub):
            members[rel.as_posix()] = sub / rel
    for rel in sourcedir_files(directory):
        members[rel.as_posix()] = directory / rel
    return dict(sorted(members.items()))


def pack_sourcedir(directory: Path, entry_dir: str = "") -> bytes:
    """A byte-for-byte reproducible ``sourcedir.tar.gz`` of ``directory`` (see the module docstring)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in archive_members(directory, entry_dir).items():
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def content_hash(path: Path, kind: str, entry_dir: str = "") -> str:
    if kind == "file":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256(f"entry_dir={entry_dir}\0".encode() if entry_dir else b"")
    for name, file in archive_members(path, entry_dir).items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def asset_bytes(entry: AssetEntry, root: Path) -> bytes:
    """The bytes to upload for ``entry`` (``root``: the project root its ``local_path`` is relative to)."""
    if entry.kind == "generated":
        return entry.content.encode("utf-8")
    if entry.kind == "file":
        return (root / entry.local_path).read_bytes()
    return pack_sourcedir(root / entry.local_path, entry.entry_dir)


class AssetCollector:
    """Assigns placeholder URIs to local paths, once per (path, kind), while the compiler builds steps."""

    def __init__(self, root: Path, bucket: str):
        self.root = root
        self.bucket = bucket
        self._entries: dict[tuple[str, str, str], AssetEntry] = {}

    def add(self, local_path: str, kind: Literal["file", "sourcedir"], entry_dir: str = "") -> str:
        """The placeholder S3 URI of a local file/directory (relative to the project root)."""
        key = (Path(local_path).as_posix(), kind, entry_dir)
        if key not in self._entries:
            path = self.root / local_path
            digest = content_hash(path, kind, entry_dir)
            name = path.name if kind == "file" else "sourcedir.tar.gz"
            uri = f"s3://{self.bucket}/{ASSET_PREFIX}/{digest[:20]}/{name}"
            self._entries[key] = AssetEntry(uri, key[0], kind, digest, entry_dir=entry_dir)
        return self._entries[key].placeholder_uri

    def add_generated(self, name: str, content: str, description: str) -> str:
        """The placeholder S3 URI of a file the compiler writes (``description`` stands in for a local path)."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        key = (description, "generated", digest)
        if key not in self._entries:
            uri = f"s3://{self.bucket}/{ASSET_PREFIX}/{digest[:20]}/{name}"
            self._entries[key] = AssetEntry(uri, description, "generated", digest, content=content)
        return self._entries[key].placeholder_uri

    def entries(self) -> tuple[AssetEntry, ...]:
        return tuple(sorted(self._entries.values()))
