"""``run``: execute a compiled pipeline definition on this machine, with no AWS, no Docker and no network.

The runner interprets the same definition JSON that ``cdk deploy`` ships (plus its asset manifest): each
step becomes a local job that sees the paths, files and environment a SageMaker container would see
(../shared/CONTAINERS.md), in a private ``/opt/ml`` (a Linux mount namespace per job).

Modules, in the order data flows: :mod:`.plan` (read and check the definition, step graph),
:mod:`.expr` (pipeline expressions and conditions), :mod:`.store` (local S3, assets, ``--data``),
:mod:`.sandbox` (private ``/opt/ml``, interpreter shim, process groups), :mod:`.jobs` (one executor per
step type), :mod:`.registry` (local model registry), :mod:`.cache` (step cache), :mod:`.engine`
(scheduling, progress, report) and :mod:`.command` (the CLI command).
"""
