"""S3 without AWS: a local object store under the work dir, the manifest's assets and ``--data`` folders.

Objects live at ``<workdir>/s3/<bucket>/<key>``. A URI read as an ``S3Prefix`` names every object whose key
is the prefix or lies under it (``<prefix>/...``), with its key relative to the prefix kept (an object that is
the prefix itself keeps its file name), as SageMaker copies them into a container. Reads look in the store,
then in the ``--data`` folders (read in place, never copied into the store); writes go to the store only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.localrun.expr import LocalRunError, StepFailed

_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?$")


def split_uri(uri: str) -> tuple[str, str]:
    match = _URI.match(uri)
    if not match:
        raise StepFailed(f"{uri!r} is not an S3 URI (s3://bucket/key)")
    return match.group(1), (match.group(2) or "").strip("/")


def _safe_key(key: str, uri: str) -> str:
    parts = [p for p in key.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise StepFailed(f"{uri}: '.' and '..' segments are not allowed in keys of the local store")
    return "/".join(parts)


@dataclass(frozen=True)
class DataMapping:
    """``--data S3_PREFIX=LOCAL_DIR``: objects under the prefix are read from the folder."""

    prefix: str
    folder: Path


def parse_data_mappings(items: Sequence[str], resolve_framework: Mapping[str, str], cwd: Path) -> list[DataMapping]:
    """``s3://SMP_S3BUCKETNAME/raw=./data`` -> mappings; framework variables (``SMP_S3BUCKETNAME`` as a path
    segment or ``${SMP_S3BUCKETNAME}``) become their values, as in the config."""
    out = []
    for item in items:
        prefix, sep, folder = item.partition("=")
        if not sep or not prefix.startswith("s3://") or not folder:
            raise LocalRunError(
                f"bad --data {item!r}: expected S3_PREFIX=LOCAL_DIR", "e.g. --data s3://my-bucket/raw=./data/raw"
            )
        for name, value in resolve_framework.items():
            prefix = prefix.replace(f"${{{name}}}", value)
            prefix = "/".join(value if segment == name else segment for segment in prefix.split("/"))
        bucket, key = split_uri_user(prefix, item)
        path = (cwd / folder).resolve()
        if not path.exists():
            raise LocalRunError(f"--data {item}: {folder} does not exist", "give an existing file or folder")
        out.append(DataMapping(f"s3://{bucket}/{key}".rstrip("/"), path))
    return out


def split_uri_user(uri: str, item: str) -> tuple[str, str]:
    try:
        return split_uri(uri)
    except StepFailed:
        raise LocalRunError(f"bad --data {item!r}: {uri!r} is not an S3 URI", "s3://bucket/prefix=LOCAL_DIR") from None


class LocalStore:
    """The local object store of one work dir (shared by the jobs of a run, thread safe for distinct keys)."""

    def __init__(self, root: Path, mappings: Sequence[DataMapping] = ()):
        self.root = root
        self.mappings = sorted(mappings, key=lambda m: -len(m.prefix))
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    # -- locations --------------------------------------------------------------------------------------

    def path(self, uri: str) -> Path:
        bucket, key = split_uri(uri)
        return self.root / bucket / _safe_key(key, uri)

    def _sources(self, uri: str) -> list[Path]:
        bucket, key = split_uri(uri)
        key = _safe_key(key, uri)
        sources = [self.root / bucket / key if key else self.root / bucket]
        full = f"s3://{bucket}/{key}".rstrip("/")
        for mapping in self.mappings:
            if full == mapping.prefix:
                sources.append(mapping.folder)
            elif full.startswith(mapping.prefix + "/"):
                sources.append(mapping.folder / full[len(mapping.prefix) + 1 :])
        return sources

    def objects(self, uri: str) -> list[tuple[str, Path]]:
        """(relative key, file) of every object under ``uri`` (first source that has any wins)."""
        for source in self._sources(uri):
            if source.is_file():
                return [(source.name, source)]
            if source.is_dir():
                found = []
                for directory, dirs, files in os.walk(source):
                    dirs.sort()
                    for name in sorted(files):
                        path = Path(directory) / name
                        found.append((path.relative_to(source).as_posix(), path))
                if found:
                    return found
        return []

    def exists(self, uri: str) -> bool:
        return bool(self.objects(uri))

    def missing(self, uri: str, what: str) -> StepFailed:
        bucket, key = split_uri(uri)
        parent = f"s3://{bucket}/{key.rsplit('/', 1)[0]}" if "/" in key else f"s3://{bucket}"
        return StepFailed(
            f"{what} {uri} is not available locally: nothing in the local store "
            f"({self.root}), in the asset manifest or in a --data folder (give it with "
            f"--data {parent}=LOCAL_DIR)"
        )

    # -- reading ----------------------------------------------------------------------------------------

    def read_bytes(self, uri: str, what: str = "object") -> bytes:
        for source in self._sources(uri):
            if source.is_file():
                return source.read_bytes()
        raise self.missing(uri, what)

    def read_json(self, uri: str) -> Any:
        data = self.read_bytes(uri, "JSON file")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise StepFailed(f"{uri} is not valid JSON: {exc}") from None

    def copy_to(self, uri: str, dest: Path, what: str, manifest: bool = False) -> int:
        """Copy the objects under ``uri`` (or those a ManifestFile lists) into ``dest``; their count."""
        if manifest:
            pairs = self._manifest_objects(uri)
        else:
            pairs = self.objects(uri)
        if not pairs:
            raise self.missing(uri, what)
        dest.mkdir(parents=True, exist_ok=True)
        for rel, path in pairs:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        return len(pairs)

    def _manifest_objects(self, uri: str) -> list[tuple[str, Path]]:
        entries = self.read_json(uri)
        if (
            not isinstance(entries, list)
            or not entries
            or not isinstance(entries[0], dict)
            or "prefix" not in entries[0]
        ):
            raise StepFailed(f'manifest {uri}: expected [{{"prefix": "s3://..."}}, "relative/key", ...]')
        prefix = entries[0]["prefix"]
        out = []
        for rel in entries[1:]:
            target = prefix + rel if prefix.endswith("/") else f"{prefix}/{rel}"
            found = [p for p in self._sources(target) if p.is_file()]
            if not found:
                raise self.missing(target, f"object listed in manifest {uri}:")
            out.append((rel, found[0]))
        return out

    # -- writing ----------------------------------------------------------------------------------------

    def put_bytes(self, uri: str, data: bytes) -> None:
        path = self.path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def put_file(self, uri: str, source: Path, move: bool = False) -> None:
        path = self.path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        if move:
            os.replace(source, path)
        else:
            shutil.copyfile(source, path)

    def upload_dir(self, uri: str, source: Path) -> int:
        """Move every file under ``source`` to ``uri/<relative path>`` (what an output upload does)."""
        count = 0
        for directory, _, files in os.walk(source):
            for name in files:
                path = Path(directory) / name
                if path.is_symlink() or not path.is_file():
                    continue
                rel = path.relative_to(source).as_posix()
                self.put_file(f"{uri.rstrip('/')}/{rel}", path, move=True)
                count += 1
        return count

    # -- fingerprints -----------------------------------------------------------------------------------

    def fingerprint(self, uri: str) -> str:
        """A hash of the keys and contents under ``uri`` ('' when there is nothing)."""
        pairs = self.objects(uri)
        if not pairs:
            return ""
        digest = hashlib.sha256()
        for rel, path in pairs:
            digest.update(rel.encode() + b"\0" + self._file_hash(path).encode() + b"\n")
        return digest.hexdigest()

    def _file_hash(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._hashes:
                return self._hashes[key]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        with self._lock:
            self._hashes[key] = value
        return value


def install_assets(store: LocalStore, manifest: Mapping[str, Any], project_root: Path) -> None:
    """Put each asset of the manifest at its placeholder URI, with the bytes the CDK layer would upload: a
    ``file`` as it is, a ``sourcedir`` packed (``entryDir`` layout included), a ``generated`` file's text."""
    from constructs_lib.compiler.assets import content_hash, pack_sourcedir

    problems = []
    for asset in manifest.get("assets", ()):
        uri, kind, entry_dir = asset["placeholderUri"], asset["kind"], asset.get("entryDir", "")
        if store.path(uri).is_file():
            continue  # the URI holds the content hash: same URI, same bytes
        if kind == "generated":
            data = str(asset.get("content", "")).encode("utf-8")
            if hashlib.sha256(data).hexdigest() != asset["sha256"]:
                problems.append(f"generated asset {asset['localPath']}: its content does not match its sha256")
            else:
                store.put_bytes(uri, data)
            continue
        local = project_root / asset["localPath"]
        if not local.exists():
            problems.append(f"asset {asset['localPath']} (for {uri}) does not exist")
            continue
        extra = (entry_dir,) if entry_dir else ()
        if content_hash(local, kind, *extra) != asset["sha256"]:
            problems.append(f"asset {asset['localPath']} changed since the definition was compiled")
            continue
        if kind == "file":
            store.put_file(uri, local)
        elif kind == "sourcedir":
            store.put_bytes(uri, pack_sourcedir(local, *extra))
        else:
            problems.append(f"asset {asset['localPath']}: unknown kind {kind!r}")
    if problems:
        raise LocalRunError(
            "; ".join(problems),
            "compile the definition again (python -m constructs_lib definition --out FILE), or run with --config",
        )
