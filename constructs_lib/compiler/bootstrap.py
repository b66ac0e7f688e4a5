"""The container contract of the original framework for Processing jobs (preprocess and Metrics steps).

The original ran these jobs through the SageMaker SDK v2 ``FrameworkProcessor``: the whole
``source_directory`` mounted as ``sourcedir.tar.gz`` at ``/opt/ml/processing/input/code/``, and a generated
``runproc.sh`` at ``/opt/ml/processing/input/entrypoint/`` as the container entrypoint. The script below is the
one ``FrameworkProcessor._generate_framework_script`` writes (SDK v2) with the command the original gave it
(``python -m <entry point as a module>``, then the entry point path as its first argument), plus one addition:
a ``wheelhouse/`` folder at the source root makes ``pip`` install from it alone (``--no-index``), because jobs
run in subnets without internet access (see the README, "requirements.txt in the secure network").

The SDK's v3 ``FrameworkProcessor`` uploads the same files under a timestamped job name, so the compiler writes
them itself: the bootstrap's text depends only on the entry point, and the archive is packed deterministically
(:mod:`constructs_lib.compiler.assets`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

CODE_DIR = "/opt/ml/processing/input/code"
ENTRYPOINT_DIR = "/opt/ml/processing/input/entrypoint"
BOOTSTRAP_NAME = "runproc.sh"
CONTAINER_ENTRYPOINT = ["/bin/bash", f"{ENTRYPOINT_DIR}/{BOOTSTRAP_NAME}"]


def module_name(entry_point: str) -> str:
    """``evaluate/evaluate.py`` -> ``evaluate.evaluate`` (what the original passed to ``python -m``)."""
    path = PurePosixPath(entry_point)
    return ".".join(path.with_suffix("").parts) if path.suffix == ".py" else ".".join(path.parts)


def entry_command(entry_point: str) -> str:
    """The command line the bootstrap ends with."""
    return f'python -m {module_name(entry_point)} {entry_point} "$@"'


def runproc(entry_point: str) -> str:
    """The text of ``runproc.sh`` for ``entry_point`` (relative to the source directory)."""
    return (
        "#!/bin/bash\n"
        "\n"
        f"cd {CODE_DIR}/\n"
        "tar -xzf sourcedir.tar.gz\n"
        "\n"
        "# Exit on any error. SageMaker uses error code to mark failed job.\n"
        "set -e\n"
        "\n"
        "if [[ -f 'requirements.txt' ]]; then\n"
        "    # Some py3 containers has typing, which may breaks pip install\n"
        "    pip uninstall --yes typing\n"
        "\n"
        "    if [[ -d 'wheelhouse' ]]; then\n"
        "        # Wheels shipped with the source: the job's subnets have no internet access.\n"
        "        python -m pip install --no-index --find-links wheelhouse -r requirements.txt\n"
        "    else\n"
        "        python -m pip install -r requirements.txt\n"
        "    fi\n"
        "fi\n"
        "\n"
        f"{entry_command(entry_point)}\n"
    )
