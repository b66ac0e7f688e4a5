"""The one place that makes the SageMaker Python SDK v3 usable offline, hermetic and fast.

Import this module before anything imports ``sagemaker``: it sets the environment the SDK reads at import
time, imports the SDK with import-time AWS clients deferred, and gives :func:`offline_session`, a
``PipelineSession`` that turns a pipeline into its definition JSON with

* no network: no DNS lookup, no socket, no AWS API call (every boto3 client of the session refuses to call
  AWS and says which call was tried, instead of hanging in retries);
* no host state: no SageMaker config file (``/etc/xdg/sagemaker/config.yaml``,
  ``~/.config/sagemaker/config.yaml``, ``~/.sagemaker/config.yaml``, ``SAGEMAKER_*_CONFIG_OVERRIDE``), no
  ``~/.aws`` file or ``AWS_PROFILE``, no SageMaker Studio project file (``.sagemaker-code-config``) changes
  the output or is read;
* the speed of a few milliseconds per step (the unpatched SDK needs about ten seconds per modeling unit).

Version policy: the patches below were written for, and are only applied to, the exact SDK versions in
:data:`SUPPORTED_SDK_VERSIONS`. Importing this module with any other installed version raises
:class:`UnsupportedSdkVersionError` before the SDK is imported (no fallback: an unpatched SDK reads host
config files from inside ``ProcessingStep``). To move to a new SDK version, re-check each patch against the
new source (``docs/sdk-v3-notes.md`` says what to look for), then update :data:`SUPPORTED_SDK_VERSIONS`.

Rules for callers (see ``docs/sdk-v3-notes.md``): give every S3 URI explicitly, roles as full ARNs, and a
``base_transform_job_name`` to every ``Transformer``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.metadata
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import botocore.session

# Read by the SDK and botocore at import time and on first use; set before the first `import sagemaker`.
# AWS_DEFAULT_REGION: a default only (the user's region is kept); compiling never depends on it because
# offline_session() passes its region explicitly. The other two are forced: IMDS probes and IAM role
# validation are network calls that compiling must never make.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"

#: The exact distributions (and versions) the patches in this module were written for.
SUPPORTED_SDK_VERSIONS: Mapping[str, str] = {
    "sagemaker": "3.27.0",
    "sagemaker-core": "2.27.0",
    "sagemaker-train": "1.27.0",
    "sagemaker-serve": "1.27.0",
    "sagemaker-mlops": "1.27.0",
}

#: The SDK defaults config given to every offline session. Passing it explicitly is what keeps the SDK
#: from loading the host's config files; TelemetryOptOut keeps it from sending usage telemetry.
OFFLINE_SAGEMAKER_CONFIG: Mapping[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


class UnsupportedSdkVersionError(RuntimeError):
    """The installed SageMaker SDK is not the version this module's patches were written for."""


class OfflineAwsCallError(RuntimeError):
    """The SDK tried to call AWS while compiling offline (a bug in how the compiler uses the SDK)."""


def installed_sdk_versions() -> dict[str, str | None]:
    """The installed version of each distribution in :data:`SUPPORTED_SDK_VERSIONS` (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in SUPPORTED_SDK_VERSIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def check_sdk_versions(installed: Mapping[str, str | None] | None = None) -> None:
    """Raise :class:`UnsupportedSdkVersionError` unless ``installed`` matches :data:`SUPPORTED_SDK_VERSIONS`.

    ``installed`` defaults to what is installed in this interpreter.
    """
    installed = installed_sdk_versions() if installed is None else installed
    wrong = [
        f"{name}=={installed.get(name) or '(not installed)'} (need {want})"
        for name, want in SUPPORTED_SDK_VERSIONS.items()
        if installed.get(name) != want
    ]
    if wrong:
        raise UnsupportedSdkVersionError(
            "constructs_lib.compiler.session patches the SageMaker SDK for offline, fast compiling and was "
            f"written for exactly {_pins()}; found {', '.join(wrong)}. Install the pinned versions "
            "(pip install -c constraints.txt ...), or re-check each patch in constructs_lib/compiler/session.py "
            "against the new SDK source (see docs/sdk-v3-notes.md) and update SUPPORTED_SDK_VERSIONS."
        )


def _pins() -> str:
    return ", ".join(f"{name}=={version}" for name, version in SUPPORTED_SDK_VERSIONS.items())


class _DeferredClient:
    """A boto3 client or resource that is only built when something first touches it.

    Why: a SageMaker ``Session`` builds six clients/resources up front, and every ``ModelTrainer`` and
    ``ModelBuilder`` builds an IAM client for a role check that ``SAGEMAKER_VALIDATE_ROLE=false`` then
    skips. Each costs 20-250 ms of botocore model loading; compiling uses almost none of them.
    """

    __slots__ = ("_factory", "_client", "_label")

    def __init__(self, factory: Callable[[], Any], label: str):
        self._factory = factory
        self._client = None
        self._label = label

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found normally, i.e. never for the three slots above.
        if self._client is None:
            self._client = self._factory()
        return getattr(self._client, name)

    def __repr__(self) -> str:
        state = "built" if self._client is not None else "not built yet"
        return f"<deferred boto3 {self._label} ({state})>"


def _refuse_aws_call(model: Any = None, **_: Any) -> None:
    operation = getattr(model, "name", "?")
    service = getattr(getattr(model, "service_model", None), "service_name", "?")
    raise OfflineAwsCallError(
        f"the SageMaker SDK tried to call AWS ({service}:{operation}) while compiling a pipeline offline. "
        "Give every S3 URI explicitly, roles as full ARNs and a base_transform_job_name to Transformers "
        "(see docs/sdk-v3-notes.md)."
    )


class _OfflineBotoSession(boto3.session.Session):
    """A boto3 session with dummy credentials and deferred clients, that reads no host file, never calls AWS."""

    def __init__(self, region: str):
        # No AWS_PROFILE, ~/.aws/config or ~/.aws/credentials: with the profile unset and both files
        # pointed at the null device, botocore neither reads host files nor fails on a missing profile.
        botocore_session = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
                "credentials_file": (None, None, os.devnull, None),
            }
        )
        # Any AWS call through this session fails at once with a clear message: no DNS, socket or retries.
        botocore_session.register("before-call", _refuse_aws_call)
        super().__init__(
            botocore_session=botocore_session,
            region_name=region,
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
        )

    def client(self, *args: Any, **kwargs: Any) -> Any:
        factory = functools.partial(super().client, *args, **kwargs)
        return _DeferredClient(factory, f"client {args[0] if args else kwargs.get('service_name')}")

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        factory = functools.partial(super().resource, *args, **kwargs)
        return _DeferredClient(factory, f"resource {args[0] if args else kwargs.get('service_name')}")


# During the SDK import only: the host's AWS files and profile are hidden (see below).
_HIDDEN_AWS_ENVIRONMENT = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
}


@contextlib.contextmanager
def _sdk_import_side_effects_contained(region: str) -> Iterator[None]:
    """Around the SDK import: no host AWS state, no import-time AWS clients, no logging setup.

    Why, for each thing undone afterwards:

    * ``sagemaker.core.jumpstart.constants`` builds two ``boto3.session.Session()`` on import to learn the
      host's region: that reads ``~/.aws/config`` and ``~/.aws/credentials`` and fails outright when
      ``AWS_PROFILE`` names a profile missing there. The AWS files and profile are hidden meanwhile.
    * ``sagemaker.ai_registry.air_hub`` builds ``boto3.client("sagemaker")`` and ``boto3.client("s3")`` in a
      class body from boto3's default session: that resolves the host's credentials (``credential_process``,
      container endpoints...) and costs ~0.5 s, for clients compiling never uses. The default session is
      an offline one meanwhile (those two clients stay bound to it).
    * ``sagemaker.core.experiments._metrics`` calls ``logging.basicConfig(level=INFO)`` on import, which would
      print every SDK INFO line in the application's output: the root logger's handlers and level are restored.
    * The SDK imports its own deprecated shims (``sagemaker.train.configs``...): those DeprecationWarnings
      are about the SDK's code, not ours, and are ignored during the import.

    And for speed: the import allocates ~250,000 long-lived objects (a thousand pydantic models, botocore
    shapes...) that the cyclic garbage collector would rescan again and again, while they are created (a
    quarter of the import time) and then while steps are built (40% of the time to compile 50 modeling
    units). So the collector is paused during the import, and the objects are then moved out of its reach
    (``gc.freeze()``) before it resumes. Not collected first: that would cost 0.2-0.4 s to free the few MB
    of cyclic garbage (~5,000 objects) the import leaves, once per process.
    """
    saved_environment = {name: os.environ.get(name) for name in _HIDDEN_AWS_ENVIRONMENT}
    previous_session = boto3.DEFAULT_SESSION
    root = logging.getLogger()
    previous_handlers, previous_level = list(root.handlers), root.level
    collecting = gc.isenabled()
    _set_environment(_HIDDEN_AWS_ENVIRONMENT)
    boto3.DEFAULT_SESSION = _OfflineBotoSession(region)
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
        _set_environment(saved_environment)
        boto3.DEFAULT_SESSION = previous_session
        root.handlers[:] = previous_handlers
        root.setLevel(previous_level)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def sdk_noise_silenced() -> Iterator[None]:
    """Silence the SDK's per-step chatter while building steps and definitions.

    Per job step the SDK warns "Running within a PipelineSession, there will be No Wait, No Logs..."
    (UserWarning) and logs "Popping out 'ProcessingJobName' from the pipeline definition..." (WARNING);
    both are expected when compiling. Errors still show. Not thread-safe (logger levels are global).
    """
    loggers = [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name == "sagemaker" or name.startswith("sagemaker.")
    ]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"sagemaker\.")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):  # levels is built from loggers
                logger.setLevel(level)


check_sdk_versions()  # before importing the SDK: a clear message rather than an obscure ImportError

with _sdk_import_side_effects_contained(os.environ["AWS_DEFAULT_REGION"]):
    # Everything the compiler needs from the SDK is imported here, so that later imports are cache hits.
    import sagemaker.core.config.config_manager as _config_manager
    import sagemaker.core.helper.session_helper as _session_helper
    import sagemaker.core.processing as _processing
    import sagemaker.core.transformer as _transformer
    import sagemaker.mlops.workflow.steps as _workflow_steps
    import sagemaker.serve.model_builder
    import sagemaker.train.model_trainer  # noqa: F401
    from sagemaker.core.local.local_session import LocalSagemakerClient as _LocalSagemakerClient
    from sagemaker.core.workflow.pipeline_context import PipelineSession


@functools.lru_cache(maxsize=8)
def _validate_config_once(config_json: str, validate: Callable[[Any], None]) -> None:
    validate(json.loads(config_json))  # an invalid config raises, and exceptions are not cached


def _memoized_validation(validate: Callable[[Any], None]) -> Callable[..., None]:
    @functools.wraps(validate)
    def validate_sagemaker_config(sagemaker_config: Any = None) -> None:
        try:
            config_json = json.dumps(sagemaker_config, sort_keys=True)
        except (TypeError, ValueError):  # not plain JSON data: validate it the SDK's way, every time
            validate(sagemaker_config)
            return
        _validate_config_once(config_json, validate)

    return validate_sagemaker_config


class _StepCallerNamesOnly(_LocalSagemakerClient):
    """A ``LocalSagemakerClient`` whose constructor builds nothing: only its method names are read."""

    def __init__(self, sagemaker_session: Any = None):
        self.sagemaker_session = sagemaker_session


def _no_studio_project_tags(tags: Any = None, working_dir: Any = None) -> Any:
    return tags


@functools.cache
def _apply_patches() -> None:
    """Patch the SDK (once per process; the version was checked on import). Valid inputs compile as before."""
    # 1. The SDK re-validates its whole defaults config against a large JSON schema (jsonschema, ~0.15 s)
    #    on *every* config lookup, dozens per step: ~10 s per modeling unit. Validate each distinct config
    #    once (keyed by its JSON text, so a mutated config is validated again; invalid ones still raise).
    validate = _memoized_validation(_config_manager.SageMakerConfig.validate_sagemaker_config)
    _config_manager.SageMakerConfig.validate_sagemaker_config = staticmethod(validate)
    _session_helper.validate_sagemaker_config = validate  # the same check, run by Session.__init__

    # 2. ProcessingStep/TransformStep.__init__ evaluate `LocalSagemakerClient().create_processing_job.__name__`
    #    just to learn a method name. That constructor builds a LocalSession: a default boto3 session
    #    (host ~/.aws), three clients and a load of the host's SageMaker config files (~0.3 s per step,
    #    and the host read we promise not to do). Give steps.py a subclass whose constructor builds nothing.
    _workflow_steps.LocalSagemakerClient = _StepCallerNamesOnly

    # 3. Processor.run, Transformer.transform and Session.create_model walk up from the current directory
    #    looking for SageMaker Studio's `.sagemaker-code-config` and add its project id/name as Tags to the
    #    request, so the definition would depend on where the compiler runs. Keep the caller's tags as given.
    for module in (_processing, _transformer, _session_helper):
        module._append_project_tags = _no_studio_project_tags


@functools.lru_cache(maxsize=16)
def offline_session(region: str, bucket: str) -> PipelineSession:
    """A ``PipelineSession`` for ``region`` that compiles pipeline definitions without AWS (cached).

    ``bucket`` is the session's default bucket: the SDK only uses it for S3 paths the caller left out,
    which the compiler should not do (every output path is given explicitly). The returned session is shared
    by all callers with the same arguments; ``PipelineSession`` keeps per-step state only while a step's
    arguments are being built, so sharing it within one thread is safe.
    """
    if not region or not bucket:
        raise ValueError(f"offline_session needs a region and a bucket (got region={region!r}, bucket={bucket!r})")
    _apply_patches()
    boto_session = _OfflineBotoSession(region)
    session = PipelineSession(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        default_bucket=bucket,
        sagemaker_config=json.loads(json.dumps(OFFLINE_SAGEMAKER_CONFIG)),  # a private, mutable copy
    )
    # default_bucket() would check (and maybe create) the bucket in S3 even though it was given above;
    # the SDK skips that when the bucket is already resolved.
    session._default_bucket = bucket
    return session
