"""Compile a pipeline in a fresh interpreter with the network cut, and report what was touched (JSON on stdout).

Run by ``test_session.py`` with a poisoned host (SageMaker config files, AWS profile, Studio project file)
in its environment. Everything is watched from before the first import of the SDK:

* ``network``: every DNS lookup or socket connection attempted (each is refused);
* ``opened``: every file opened under ``OFFLINE_PROBE_WATCH`` (the poisoned host's root);
* ``credential_resolutions``: every time botocore looked for credentials on the host;
* ``definition``: the compiled definition, to compare with one built in the test process.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import socket
import sys
import threading

WATCHED = os.path.realpath(os.environ["OFFLINE_PROBE_WATCH"])
report: dict[str, list[str]] = {"network": [], "opened": [], "credential_resolutions": []}


def _refuse(kind: str):
    def refuse(*args, **kwargs):
        # Recorded, not only raised: the SDK sends telemetry from daemon threads that swallow errors.
        target = args[1:] if kind.startswith("connect") else args[:2]  # (socket, address) or (host, port)
        report["network"].append(f"{kind} {target!r}")
        raise OSError(f"network disabled by offline_probe ({kind})")

    return refuse


socket.socket.connect = _refuse("connect")
socket.socket.connect_ex = _refuse("connect_ex")
socket.getaddrinfo = _refuse("getaddrinfo")
socket.gethostbyname = _refuse("gethostbyname")
socket.create_connection = _refuse("create_connection")

_open = builtins.open


def _watched_open(file, *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(file))
        if path.startswith(WATCHED + os.sep):
            report["opened"].append(path)
    return _open(file, *args, **kwargs)


builtins.open = io.open = _watched_open

import botocore.credentials  # noqa: E402  (after the guards, before the SDK)

_load_credentials = botocore.credentials.CredentialResolver.load_credentials


def _watched_load_credentials(self):
    report["credential_resolutions"].append("botocore CredentialResolver.load_credentials")
    return _load_credentials(self)


botocore.credentials.CredentialResolver.load_credentials = _watched_load_credentials

from constructs_lib.compiler.session import sdk_noise_silenced  # noqa: E402
from tests.unit.compiler.offline_pipeline import build_pipeline  # noqa: E402

with sdk_noise_silenced():
    definition = build_pipeline(units=1).definition()

for thread in threading.enumerate():  # let any background sender (telemetry) finish and be recorded
    if thread is not threading.current_thread():
        thread.join(timeout=5)

json.dump({**report, "definition": definition}, sys.stdout)
