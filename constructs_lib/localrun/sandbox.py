"""Where a job runs: a private ``/opt/ml`` (its own folder, bind-mounted in a Linux mount namespace), a
``python`` on PATH that is the chosen interpreter, a clean environment, its own process group and a log file.

How the private ``/opt/ml`` is made, in order of preference:

- as root: ``unshare --mount`` (a mount namespace; nothing is visible outside the job);
- as another user: ``unshare --user --map-root-user --mount`` where the kernel allows unprivileged user
  namespaces (``kernel.unprivileged_userns_clone=1``, and on Ubuntu 23.10+
  ``kernel.apparmor_restrict_unprivileged_userns=0``), else bubblewrap (``bwrap``) when installed.

``/opt`` itself is never written: inside the namespace a tmpfs goes over ``/opt``, the host's entries of
``/opt`` are bound back into it, and the job's folder is bound at ``/opt/ml``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from constructs_lib.localrun.expr import LocalRunError, StepFailed

#: Inside the namespace (run by this interpreter with -I -S): keep the host's /opt entries, put the job's folder
#: at /opt/ml, then exec the command. Python rather than sh, because sh drops environment variables whose names
#: are not shell identifiers, and the training toolkit's SM_CHANNEL_<CHANNEL> names may hold hyphens.
_SETUP = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
BIND, REC = 4096, 16384
def mount(src, dst, fstype=None, flags=0, data=None):
    if libc.mount(src.encode(), dst.encode(), fstype and fstype.encode(), flags, data and data.encode()) != 0:
        err = ctypes.get_errno()
        sys.exit("local runner sandbox: mount %s on %s: %s" % (src, dst, os.strerror(err)))
root, stage, cwd, readonly, *argv = sys.argv[1:]
for path in filter(None, readonly.split(os.pathsep)):  # the user's environment: jobs never write it
    mount(path, path, flags=BIND | REC)
    mount(path, path, flags=BIND | REC | 32 | 1)  # MS_REMOUNT | MS_RDONLY
if os.path.isdir("/opt/ml"):
    mount(root, "/opt/ml", flags=BIND)
else:
    host_opt = os.path.isdir("/opt")
    if host_opt:
        mount("/opt", stage, flags=BIND | REC)
    mount("smp-local-opt", "/opt", "tmpfs", 0, "mode=755")
    for name in sorted(os.listdir(stage)) if host_opt else ():
        src, dst = os.path.join(stage, name), "/opt/" + name
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        elif os.path.isdir(src):
            os.mkdir(dst)
            mount(src, dst, flags=BIND | REC)
        else:
            open(dst, "w").close()
            mount(src, dst, flags=BIND)
    os.mkdir("/opt/ml")
    mount(root, "/opt/ml", flags=BIND)
os.chdir(cwd)
try:
    os.execvp(argv[0], argv)
except OSError as exc:
    sys.stderr.write("exec %s: %s\n" % (argv[0], exc.strerror))
    sys.exit(127)
"""

HOW_TO_ENABLE = (
    "run as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on "
    "Ubuntu 23.10+ also kernel.apparmor_restrict_unprivileged_userns=0), or install bubblewrap (bwrap)"
)


@dataclass(frozen=True)
class Isolation:
    """How jobs get their private /opt/ml: ``unshare`` (root), ``userns`` or ``bwrap``."""

    kind: str

    def wrap(self, root: Path, stage: Path, cwd: str, argv: Sequence[str], readonly: Sequence[str] = ()) -> list[str]:
        """The command that runs ``argv`` with ``root`` at /opt/ml and the ``readonly`` folders read-only."""
        if self.kind == "bwrap":
            out = ["bwrap", "--dev-bind", "/", "/", "--die-with-parent"]
            for path in readonly:
                out += ["--ro-bind", path, path]
            if not Path("/opt/ml").is_dir():
                out += ["--tmpfs", "/opt"]
                for entry in sorted(Path("/opt").iterdir()) if Path("/opt").is_dir() else ():
                    out += ["--bind", str(entry), str(entry)]
            return out + ["--bind", str(root), "/opt/ml", "--chdir", cwd, "--", *argv]
        prefix = ["unshare", "--mount", "--propagation", "private"]
        if self.kind == "userns":
            prefix = ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]
        stage.mkdir(parents=True, exist_ok=True)
        return prefix + [
            "--",
            sys.executable,
            "-I",
            "-S",
            "-c",
            _SETUP,
            str(root),
            str(stage),
            cwd,
            os.pathsep.join(readonly),
            *argv,
        ]


def _works(argv: Sequence[str]) -> bool:
    try:
        return (
            subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
                check=False,
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def detect_isolation() -> Isolation:
    """The first way of making a private /opt/ml that works here, or a clear error."""
    if not Path("/proc/self/ns/mnt").exists():
        raise LocalRunError(
            "the local runner needs Linux mount namespaces (a private /opt/ml per job), which this system lacks",
            "run it on Linux (a Linux VM or WSL2 on other systems)",
        )
    if shutil.which("unshare"):
        if os.geteuid() == 0 and _works(["unshare", "--mount", "--propagation", "private", "true"]):
            return Isolation("unshare")
        if _works(["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "true"]):
            return Isolation("userns")
    if shutil.which("bwrap") and _works(["bwrap", "--dev-bind", "/", "/", "true"]):
        return Isolation("bwrap")
    raise LocalRunError(
        "cannot give each job a private /opt/ml: no mount namespace is available to this user", HOW_TO_ENABLE
    )


_OVERLAY_PTH = "import site; list(map(site.addsitedir, {paths!r}))\n"


def make_overlay_env(directory: Path, interpreter: str) -> tuple[str, list[str]]:
    """A cached environment layered over ``interpreter``'s: it sees every package the interpreter has (its
    site-packages are added after the overlay's own), and ``pip install`` in a job installs into the
    overlay, never into the user's environment (whose site-packages jobs see read-only). Returns the overlay's
    python (created once, ~0.1 s) and the interpreter's site-packages folders."""
    python = directory / "bin" / "python"
    marker = directory / ".ready"
    if marker.is_file() and python.exists():
        return str(python), json.loads(marker.read_text())["parent"]
    if directory.exists():
        shutil.rmtree(directory)
    code = (
        "import json, sys; print(json.dumps([sys.version_info[:2], "
        "[p for p in sys.path if p.endswith(('site-packages', 'dist-packages'))]]))"
    )
    probe = subprocess.run([interpreter, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        raise LocalRunError(
            f"--python {interpreter} does not run: {probe.stderr.strip()[-200:]}",
            "give the path of a Python 3 interpreter",
        )
    (major, minor), paths = json.loads(probe.stdout)
    made = subprocess.run(
        [interpreter, "-m", "venv", "--without-pip", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if made.returncode != 0:
        raise LocalRunError(
            f"cannot create the job environment over {interpreter}: {made.stderr.strip()[-200:]}",
            "the interpreter needs its venv module (Debian/Ubuntu: apt-get install python3-venv)",
        )
    site_packages = directory / "lib" / f"python{major}.{minor}" / "site-packages"
    site_packages.mkdir(parents=True, exist_ok=True)
    (site_packages / "zz-smp-parent.pth").write_text(_OVERLAY_PTH.format(paths=paths))
    paths = [p for p in paths if Path(p).is_dir()]
    marker.write_text(json.dumps({"interpreter": interpreter, "parent": paths}))
    return str(python), paths


def make_shim(bin_dir: Path) -> Path:
    """Complete the overlay environment's ``bin`` (first on each job's PATH, so ``python``/``python3`` are the
    chosen interpreter) with ``pip``/``pip3``. No shell wrappers: a shell would drop environment variables
    whose names are not shell identifiers (``SM_CHANNEL_<channel-with-hyphens>``)."""
    text = "#!/usr/bin/env python\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"
    for name in ("pip", "pip3"):
        path = bin_dir / name
        if not path.is_file() or path.read_text() != text:
            tmp = bin_dir / f".{name}.tmp"
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.replace(tmp, path)
    return bin_dir


_PASSED_THROUGH = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "USER", "LOGNAME")
_INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_TRUSTED_HOST",
    "PIP_CERT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


def base_environment(shim: Path, pip_index: bool) -> dict[str, str]:
    """What every job starts from: no AWS credentials or SM_* of the caller, ``python`` = the interpreter,
    pip offline unless ``--pip-index`` (requirements already satisfied need no index)."""
    env = {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}
    env["PATH"] = f"{shim}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    if pip_index:  # the user's own pip configuration: index, find-links, proxies...
        env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_") or k in _INDEX_VARIABLES})
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    else:
        env["PIP_NO_INDEX"] = "1"
    return env


class ProcessTable:
    """Every job process started by a run (each leads its own process group), so that Ctrl-C or a failure
    with no --keep-going stops them all and leaves nothing behind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen] = set()
        self.stopping = threading.Event()

    def run(self, argv: Sequence[str], env: Mapping[str, str], log: Path, timeout: float | None) -> int:
        if self.stopping.is_set():
            raise StepFailed("Stopped: the run is stopping")
        with open(log, "ab") as out:
            try:
                proc = subprocess.Popen(
                    list(argv),
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise StepFailed(f"cannot start {argv[0]}: {exc.strerror}") from None
            with self._lock:
                self._live.add(proc)
                stop_now = self.stopping.is_set()  # stop_all ran between the check above and the start
            if stop_now:
                self._kill(proc)
            try:
                try:
                    return proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._kill(proc)
                    raise StepFailed(
                        f"MaxRuntimeExceeded: the job ran longer than {timeout:g} s "
                        "(StoppingCondition.MaxRuntimeInSeconds)"
                    ) from None
            finally:
                with self._lock:
                    self._live.discard(proc)
                # the job's own children (a background process it forgot) go with it
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    @staticmethod
    def _kill(proc: subprocess.Popen, grace: float = 2.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            try:
                proc.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        self.stopping.set()
        with self._lock:
            live = list(self._live)
        for proc in live:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + 3
        for proc in live:
            try:
                proc.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(proc, grace=1)


def tail(path: Path, lines: int = 20) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]
