"""The only module that talks to AWS: a thin SageMaker Pipelines client wrapper.

It turns responses into :mod:`constructs_lib.runtime.model` values and botocore exceptions into
:class:`RuntimeUserError` (one line and a hint) or :class:`Unsupported` (an optional call the endpoint does
not implement, e.g. ``ListPipelineExecutionSteps`` on moto). botocore is imported here only, lazily, so the
CLI's other commands stay fast.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from constructs_lib.errors import did_you_mean
from constructs_lib.runtime.model import (
    DeployedParameter,
    DeployedPipeline,
    ExecutionNotFound,
    ExecutionState,
    PipelineNotFound,
    RuntimeUserError,
    StepState,
    Unsupported,
)

CREDENTIALS_HINT = (
    "set AWS_PROFILE (after 'aws sso login' or 'aws configure'), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
REGION_HINT = "pass --region, or set AWS_REGION / AWS_DEFAULT_REGION, or a region in your AWS profile"

_BAD_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "IncompleteSignature",
    "MissingAuthenticationToken",
}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}
# What an endpoint answers for an operation it does not have: moto's server answers an HTML 500 with code "500".
_NOT_IMPLEMENTED_CODES = {
    "500",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "NotImplemented",
    "UnknownOperationException",
    "InvalidAction",
    "UnknownOperation",
}
_NOT_FOUND_WORDS = ("could not find", "not found", "does not exist", "cannot find", "no pipeline")


_SHARED_LOADER: Any = None


def make_client(region: str | None, endpoint_url: str | None) -> SageMakerPipelines:
    """A client for ``region`` (else the environment's/profile's region) and an optional endpoint override.

    Plain botocore (the wrapper only needs the low-level client). Credentials and region are resolved afresh
    for every client; the service model loader is shared within the process (loading the SageMaker model is
    most of the cost of creating a client)."""
    global _SHARED_LOADER
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, NoRegionError, ProfileNotFound

    try:
        session = botocore.session.get_session()
        if _SHARED_LOADER is None:
            _SHARED_LOADER = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _SHARED_LOADER)
        resolved = region or session.get_config_variable("region")
        if not resolved:
            raise RuntimeUserError("no AWS region set", REGION_HINT)
        config = Config(connect_timeout=10, read_timeout=60, user_agent_extra="constructs_lib-runtime")
        client = session.create_client("sagemaker", region_name=resolved, endpoint_url=endpoint_url, config=config)
        known = session.get_available_regions("sagemaker")
    except ProfileNotFound as exc:
        raise RuntimeUserError(str(exc), "check AWS_PROFILE and ~/.aws/config") from None
    except NoRegionError:
        raise RuntimeUserError("no AWS region set", REGION_HINT) from None
    except ValueError as exc:  # "Invalid endpoint: ...", invalid region name
        raise RuntimeUserError(
            f"cannot create a SageMaker client: {exc}", "check --endpoint-url (http[s]://host[:port]) and --region"
        ) from None
    except BotoCoreError as exc:
        raise RuntimeUserError(f"cannot create a SageMaker client: {exc}", REGION_HINT) from None
    return SageMakerPipelines(client, resolved, endpoint_url, known_regions=known)


class SageMakerPipelines:
    """SageMaker Pipelines calls with errors translated; see :class:`constructs_lib.runtime.model.PipelinesClient`."""

    def __init__(
        self, client: Any, region: str, endpoint_url: str | None = None, known_regions: list[str] | None = None
    ):
        self._client = client
        self.region = region
        self.endpoint_url = endpoint_url
        self._known_regions = known_regions or []

    # -- pipelines -----------------------------------------------------------------------------------------

    def describe_pipeline(self, name: str) -> DeployedPipeline:
        try:
            with self._translate("DescribePipeline"):
                response = self._client.describe_pipeline(PipelineName=name)
        except _RawNotFound:
            raise PipelineNotFound(f"pipeline '{name}' not found in {self.region}", "") from None
        definition = parse_definition(response.get("PipelineDefinition"))
        return DeployedPipeline(
            name=response.get("PipelineName", name),
            arn=response.get("PipelineArn", ""),
            parameters=definition_parameters(definition),
            step_names=definition_step_names(definition),
        )

    def pipeline_names(self) -> list[str]:
        names: list[str] = []
        kwargs: dict[str, Any] = {"MaxResults": 100}
        with self._translate("ListPipelines"):
            for _ in range(20):  # at most 2,000 names: enough for "did you mean"
                page = self._client.list_pipelines(**kwargs)
                names += [s["PipelineName"] for s in page.get("PipelineSummaries", []) if s.get("PipelineName")]
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        return sorted(set(names))

    # -- executions ----------------------------------------------------------------------------------------

    def start_execution(self, name: str, parameters: dict[str, str]) -> str:
        kwargs: dict[str, Any] = {
            "PipelineName": name,
            "PipelineExecutionDescription": "started with python -m constructs_lib start",
        }
        if parameters:
            kwargs["PipelineParameters"] = [{"Name": k, "Value": v} for k, v in parameters.items()]
        try:
            with self._translate("StartPipelineExecution"):
                return self._client.start_pipeline_execution(**kwargs)["PipelineExecutionArn"]
        except _RawNotFound as exc:
            raise PipelineNotFound(f"pipeline '{name}' not found in {self.region}", "") from exc

    def latest_execution(self, name: str) -> str | None:
        """The most recently started execution. Real SageMaker sorts as asked; moto ignores SortBy/SortOrder/
        MaxResults and returns all executions oldest first, so the newest of the page is picked here."""
        try:
            with self._translate("ListPipelineExecutions"):
                page = self._client.list_pipeline_executions(
                    PipelineName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=10
                )
        except _RawNotFound:
            raise PipelineNotFound(f"pipeline '{name}' not found in {self.region}", "") from None
        summaries = [s for s in page.get("PipelineExecutionSummaries", []) if s.get("PipelineExecutionArn")]
        if not summaries:
            return None
        dated = [s for s in summaries if s.get("StartTime") is not None]
        if not dated:
            return summaries[0]["PipelineExecutionArn"]
        return max(dated, key=lambda s: s["StartTime"])["PipelineExecutionArn"]

    def describe_execution(self, arn: str) -> ExecutionState:
        try:
            with self._translate("DescribePipelineExecution"):
                r = self._client.describe_pipeline_execution(PipelineExecutionArn=arn)
        except _RawNotFound:
            raise ExecutionNotFound(f"execution '{arn}' not found in {self.region}", "") from None
        return ExecutionState(
            arn=r.get("PipelineExecutionArn", arn),
            status=r.get("PipelineExecutionStatus", "Unknown"),
            failure_reason=_text(r.get("FailureReason")),
            created=r.get("CreationTime"),
            modified=r.get("LastModifiedTime"),
            display_name=_text(r.get("PipelineExecutionDisplayName")),
        )

    def execution_steps(self, arn: str) -> list[StepState]:
        """Latest attempt of each step that has started. Raises :class:`Unsupported` where not implemented."""
        raw: list[dict] = []
        kwargs: dict[str, Any] = {"PipelineExecutionArn": arn, "SortOrder": "Ascending", "MaxResults": 100}
        with self._optional("ListPipelineExecutionSteps"):
            for _ in range(50):
                page = self._client.list_pipeline_execution_steps(**kwargs)
                raw += page.get("PipelineExecutionSteps", [])
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        latest: dict[str, StepState] = {}
        for s in raw:
            name = printable(str(s.get("StepName") or s.get("StepDisplayName") or "?"))
            step = StepState(
                name=name,
                status=s.get("StepStatus", "Unknown"),
                start=s.get("StartTime"),
                end=s.get("EndTime"),
                failure_reason=_text(s.get("FailureReason")),
                cache_hit=bool((s.get("CacheHitResult") or {}).get("SourcePipelineExecutionArn")),
                attempts=int(s.get("AttemptCount") or 0),
            )
            previous = latest.get(name)
            if previous is None or (step.start or _EPOCH) >= (previous.start or _EPOCH):
                latest[name] = step
        return sorted(latest.values(), key=lambda st: (st.start or _EPOCH, st.name))

    def execution_parameters(self, arn: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        kwargs: dict[str, Any] = {"PipelineExecutionArn": arn}
        with self._optional("ListPipelineParametersForExecution"):
            for _ in range(20):
                page = self._client.list_pipeline_parameters_for_execution(**kwargs)
                out += [
                    (printable(str(p.get("Name", "?"))), _text(p.get("Value")))
                    for p in page.get("PipelineParameters", [])
                ]
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        return out

    def execution_step_names(self, arn: str) -> list[str]:
        with self._optional("DescribePipelineDefinitionForExecution"):
            response = self._client.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)
        return list(definition_step_names(parse_definition(response.get("PipelineDefinition"))))

    # -- error translation ---------------------------------------------------------------------------------

    @contextmanager
    def _optional(self, operation: str) -> Iterator[None]:
        """Like :meth:`_translate`, but "not implemented" and "access denied" become :class:`Unsupported`."""
        from botocore.exceptions import ClientError

        try:
            yield
        except NotImplementedError as exc:  # moto in-process (mock_aws) raises it as is
            raise Unsupported(operation, f"not implemented by this endpoint ({exc})") from None
        except ClientError as exc:
            code, status = _code(exc), _status(exc)
            if code in _NOT_IMPLEMENTED_CODES or status in (404, 405, 500, 501):
                where = self.endpoint_url or "this endpoint"
                raise Unsupported(operation, f"{where} does not implement it (HTTP {status})") from None
            if code in _DENIED_CODES:
                raise Unsupported(operation, f"not allowed: the identity needs sagemaker:{operation}") from None
            with self._translate(operation):
                raise

    @contextmanager
    def _translate(self, operation: str) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
            ReadTimeoutError,
        )

        try:
            yield
        except NoCredentialsError:
            raise RuntimeUserError("no AWS credentials found", CREDENTIALS_HINT) from None
        except PartialCredentialsError as exc:
            raise RuntimeUserError(f"incomplete AWS credentials: {exc}", CREDENTIALS_HINT) from None
        except NoRegionError:
            raise RuntimeUserError("no AWS region set", REGION_HINT) from None
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            where = getattr(exc, "kwargs", {}).get("endpoint_url") or self.endpoint_url or f"SageMaker in {self.region}"
            raise RuntimeUserError(f"cannot reach {where}", self._reach_hint()) from None
        except ReadTimeoutError:
            raise RuntimeUserError(
                f"{operation}: no answer from {self.endpoint_url or 'SageMaker'} in time",
                "retry later; check the network or --endpoint-url",
            ) from None
        except ClientError as exc:
            code, message = _code(exc), _message(exc)
            if code == "ResourceNotFound" or (
                code == "ValidationException" and any(w in message.lower() for w in _NOT_FOUND_WORDS)
            ):
                raise _RawNotFound(message) from None
            if code in _BAD_CREDENTIAL_CODES:
                raise RuntimeUserError(
                    f"AWS rejected the credentials ({code}: {message})",
                    "they are invalid or expired: " + CREDENTIALS_HINT,
                ) from None
            if code in _DENIED_CODES:
                raise RuntimeUserError(
                    f"{operation} not allowed: {message}", f"the identity needs sagemaker:{operation} on this pipeline"
                ) from None
            if code in ("ThrottlingException", "Throttling", "ResourceLimitExceeded"):
                raise RuntimeUserError(f"{operation}: {code}: {message}", "retry in a moment") from None
            raise RuntimeUserError(f"{operation} failed: {code}: {_first_line(message)}", "") from None
        except BotoCoreError as exc:
            raise RuntimeUserError(f"{operation} failed: {exc}", "") from None

    def _reach_hint(self) -> str:
        if self.endpoint_url:
            return "is the endpoint running? check --endpoint-url"
        if self._known_regions and self.region not in self._known_regions:
            close = did_you_mean(self.region, self._known_regions, what="regions")
            return f"'{self.region}' is not a known SageMaker region" + (f": {close}" if close else "")
        return "check the network connection (and proxy settings) and --region"


class _RawNotFound(Exception):
    """Internal: the service said the named resource does not exist; the caller words the message."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _message(exc: Any) -> str:
    return printable(str(exc.response.get("Error", {}).get("Message", "") or exc))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _text(value: Any) -> str:
    """Optional string fields, safe to print; moto writes a missing failure reason as the string ``"None"``."""
    return "" if value is None or value == "None" else printable(str(value))


def printable(text: str) -> str:
    """``text`` with every non-printable character written as an escape (``\\x1b``, ``\\u202e``).

    Failure reasons, step names and parameter values come from the API and, through it, from a job's code or
    whoever started the execution: printed raw, terminal control sequences in them could rewrite the screen
    (e.g. turn "Failed" into "Succeeded") and newlines or bidi overrides could forge lines.
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}") for ch in text
    )


def parse_definition(raw: Any) -> dict | None:
    """A pipeline definition as returned by DescribePipeline, or ``None`` if it cannot be read.

    Real SageMaker returns the JSON text. moto returns a definition created from ``PipelineDefinitionS3Location``
    as a Python ``repr`` of the dict (single quotes), which only :func:`ast.literal_eval` reads."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


def definition_parameters(definition: dict | None) -> tuple[DeployedParameter, ...] | None:
    if definition is None:
        return None
    params = definition.get("Parameters") or []
    if not isinstance(params, list):
        return None
    out = []
    for p in params:
        if isinstance(p, dict) and isinstance(p.get("Name"), str):
            enum = p.get("EnumValues") or ()
            out.append(
                DeployedParameter(
                    name=p["Name"],
                    type=str(p.get("Type") or "String"),
                    default=p.get("DefaultValue"),
                    enum_values=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
                )
            )
    return tuple(out)


def definition_step_names(definition: dict | None) -> tuple[str, ...]:
    """Names of all steps, including those nested in Condition steps' branches."""
    if definition is None:
        return ()
    names: list[str] = []

    def visit(steps: Any) -> None:
        if not isinstance(steps, list):
            return
        for step in steps:
            if isinstance(step, dict):
                if isinstance(step.get("Name"), str) and step["Name"] not in names:
                    names.append(step["Name"])
                arguments = step.get("Arguments")
                if isinstance(arguments, dict):
                    visit(arguments.get("IfSteps"))
                    visit(arguments.get("ElseSteps"))

    visit(definition.get("Steps"))
    return tuple(names)
