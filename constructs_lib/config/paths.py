"""Local paths in config files stay inside the project: nothing outside it is read, packed or uploaded.

``source_directory``, ``entry_point`` and local ``fileName`` values become assets that a deploy uploads to S3.
Each must name a regular file or folder under the project root (where ``cdk`` / ``python -m constructs_lib``
runs): an absolute path (``/proc/self/environ``), a ``..`` that leaves the project, a symlink that points
outside it, a device file or a pipe are refused. A folder that is packed (a source directory, a local data
folder) is walked without following symlinked folders, as the packer does: each symlink in it must resolve
inside the project, broken symlinks and non-regular files are reported, and its size is bounded.

A path that does not exist yet is left to the compiler, which says so with the key that names it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from constructs_lib.errors import Problem

if TYPE_CHECKING:
    from constructs_lib.config.loader import ProjectConfig

#: The folders and files the packer leaves out (same set as ``constructs_lib.compiler.assets.EXCLUDED``).
EXCLUDED = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", ".DS_Store", ".pytest_cache", ".venv"})
#: Most files, and bytes, a packed folder may hold (it is packed in memory; data belongs in S3).
MAX_PACKED_FILES = 10_000
MAX_PACKED_BYTES = 512 * 1_048_576

Kind = Literal["file", "dir", "any"]
_HINT = "local paths are relative to the project root {root} and stay inside it; copy the files in, or use an s3:// URI"


def local_paths(project: ProjectConfig) -> Iterator[tuple[str, tuple, str, Kind]]:
    """(model, key path under conf.models.<model>, path relative to the project root, kind) of each local path."""
    for model, config in project.models.items():
        raw = project.docs[project.model_files[model]].data["conf"]["models"][model]
        source = config.source_directory
        yield model, ("source_directory",), source, "dir"
        for attr in ("preprocess", "train", "transform", "evaluate"):
            section = getattr(config, attr)
            if section is None:
                continue
            key = "processing" if attr == "preprocess" and isinstance(raw, dict) and "processing" in raw else attr
            if getattr(section, "entry_point", None):
                yield model, (key, "entry_point"), os.path.join(source, section.entry_point), "file"
            for channel, body in section.channels.items():
                for index, data_file in enumerate(body.dataFiles or []):
                    name = data_file.fileName
                    if "://" in name or "${" in name:  # S3 URIs and references are not local
                        continue
                    yield model, (key, "channels", channel, "dataFiles", index, "fileName"), name, "any"


def local_path_problems(project: ProjectConfig) -> list[Problem]:
    """A problem for each local path that leaves the project or is not a regular file or folder."""
    root = project.root.resolve()
    problems: list[Problem] = []
    walked: set[str] = set()
    refused: set[str] = set()  # models whose source_directory is refused: their entry points would repeat it
    for model, key, value, kind in local_paths(project):
        if model in refused and key[-1] == "entry_point":
            continue
        found = check_path(root, value, kind, walked)
        if found and key == ("source_directory",) and not found[0][0].startswith(f"'{value}/"):
            refused.add(model)
        problems += [project.model_problem(model, key, message, hint) for message, hint in found]
    return problems


def check_path(root: Path, value: str, kind: Kind, walked: set[str] | None = None) -> list[tuple[str, str]]:
    """(message, hint) for each way ``value`` (relative to ``root``) fails the rules above."""
    hint = _HINT.format(root=root)
    if "\0" in value:
        return [("the path contains a NUL character", "")]
    if os.path.isabs(value) or value.startswith("~"):
        return [(f"absolute path '{value}' is not allowed", hint)]
    full = root / value
    real = Path(os.path.realpath(full))
    if not _inside(real, root):
        if _has_link(root, value):
            return [(f"'{value}' is a symlink to {real}, outside the project", hint)]
        return [(f"'{value}' leaves the project through '..' (to {real})", hint)]
    try:
        info = os.stat(full)
    except OSError as exc:
        if os.path.islink(full) or _has_link(root, value):
            if exc.errno == 40:  # ELOOP
                return [(f"'{value}' is a symlink loop", "replace the symlink with the file or folder itself")]
            return [(f"'{value}' is a broken symlink (to {real})", "point it at an existing file, or remove it")]
        if exc.errno == errno.ENAMETOOLONG:
            return [(f"the path is too long for the file system ({len(value)} characters)", "use a shorter path")]
        return []  # does not exist: the compiler reports it with the key that names it
    if stat.S_ISDIR(info.st_mode):
        if kind == "file" or (walked is not None and str(real) in walked):
            return []
        if walked is not None:
            walked.add(str(real))
        return [(message, hint) for message in _folder_problems(root, full, value)]
    if not stat.S_ISREG(info.st_mode):
        return [(f"'{value}' is not a regular file or folder (a device, pipe or socket)", hint)]
    return []


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _has_link(root: Path, value: str) -> bool:
    current = root
    for part in Path(value).parts:
        current = current / part
        if os.path.islink(current):
            return True
    return False


def _folder_problems(root: Path, folder: Path, shown: str) -> Iterator[str]:
    """What would make packing ``folder`` read outside the project, block, or never end."""
    count = size = 0
    for directory, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED)
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            if name in EXCLUDED or name.endswith(".pyc"):
                continue
            path = Path(directory) / name
            rel = os.path.join(shown, os.path.relpath(path, folder))
            if path.is_symlink():
                target = Path(os.path.realpath(path))
                if not _inside(target, root):
                    yield f"'{rel}' is a symlink to {target}, outside the project"
                    continue
                if not path.exists():
                    yield f"'{rel}' is a broken symlink (to {target})"
                    continue
                if path.is_dir():  # a symlinked folder inside the project is not followed by the packer
                    continue
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                yield f"'{rel}' cannot be read ({exc.strerror})"
                continue
            if not stat.S_ISREG(mode):
                yield f"'{rel}' is not a regular file (a device, pipe or socket)"
                continue
            count += 1
            size += path.stat().st_size
            if count > MAX_PACKED_FILES:
                yield f"'{shown}' holds more than {MAX_PACKED_FILES:,} files to pack"
                return
            if size > MAX_PACKED_BYTES:
                yield f"'{shown}' holds more than {MAX_PACKED_BYTES // 1_048_576:,} MiB to pack (put data in S3)"
                return
