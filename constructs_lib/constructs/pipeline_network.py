"""``PipelineNetwork``: the isolated VPC (or imported subnets) that SageMaker pipeline jobs run in."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from constructs_lib.constructs import _nag

DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_FLOW_LOGS_RETENTION = logs.RetentionDays.ONE_YEAR
HTTPS = ec2.Port.tcp(443)
_S3_READ_ACTIONS = ("s3:GetObject",)


def default_interface_endpoints() -> dict[str, ec2.IInterfaceVpcEndpointService]:
    """The interface endpoints every SageMaker job in an isolated subnet needs, by construct id.

    ECR API and Docker registry (image pulls; the layers themselves come from S3 through the gateway
    endpoint), CloudWatch Logs and monitoring (job logs and metrics). Each costs about USD 0.01 an hour
    per availability zone: see ``optional_interface_endpoints`` for those only some jobs need.
    """
    services = ec2.InterfaceVpcEndpointAwsService
    return {
        "EcrApi": services.ECR,
        "EcrDocker": services.ECR_DOCKER,
        "Logs": services.CLOUDWATCH_LOGS,
        "Monitoring": services.CLOUDWATCH_MONITORING,
    }


def optional_interface_endpoints() -> dict[str, ec2.IInterfaceVpcEndpointService]:
    """Interface endpoints only some jobs need, by construct id (``extra_endpoints``): the SageMaker API and
    runtime for job code that calls SageMaker (the SDK's session, invoking a model), STS for code that asks
    who it is (``get_caller_identity``). The pipeline's own steps need neither: SageMaker Pipelines calls
    the APIs from the service side."""
    services = ec2.InterfaceVpcEndpointAwsService
    return {
        "SageMakerApi": services.SAGEMAKER_API,
        "SageMakerRuntime": services.SAGEMAKER_RUNTIME,
        "Sts": services.STS,
    }


def new_logs_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating, retained KMS key that CloudWatch Logs may use for log groups of this account and region;
    the account administers it and does not use it (``artifact_store.key_policy``)."""
    from constructs_lib.constructs.artifact_store import key_policy

    stack = cdk.Stack.of(scope)
    # CloudWatch Logs uses the key only for log groups of this account and region
    # (the encryption context carries the log group ARN).
    logs_use = iam.PolicyStatement(
        sid="AllowCloudWatchLogsOfThisAccount",
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        },
    )
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        policy=key_policy(scope, statements=[logs_use]),
    )


def ecr_layer_bucket_arn(scope: Construct) -> str:
    """Objects of the S3 bucket ECR serves image layers from (``prod-<region>-starport-layer-bucket``), which an
    S3 gateway endpoint policy must allow for image pulls (Amazon ECR interface VPC endpoints (AWS
    PrivateLink), "Minimum Amazon S3 bucket permissions for Amazon ECR",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html)."""
    stack = cdk.Stack.of(scope)
    return f"arn:{stack.partition}:s3:::prod-{stack.region}-starport-layer-bucket/*"


class PipelineNetwork(Construct):
    """Private networking for SageMaker pipeline jobs, or imported subnets and security groups.

    Created mode (default): a VPC with one PRIVATE_ISOLATED subnet in each of two availability zones
    (no internet gateway, no NAT); an S3 gateway endpoint; interface endpoints (see
    ``default_interface_endpoints``) with ``open=False`` behind their own security group; a job
    security group that allows only inter-container traffic within itself and HTTPS to the
    endpoints' security group and to the S3 prefix list; VPC flow logs (all traffic) to a KMS
    encrypted CloudWatch log group with retention. Keys and the log group are retained on delete.
    The VPC's default security group is stripped of its rules. Both that and the S3 prefix list
    lookup are done by Lambdas that aws-cdk-lib generates (one per stack); their cdk-nag, checkov and
    cfn-lint findings are settled on those CDK-internal resources only.

    Imported mode: the subnets (``existing_vpc`` with ``subnet_selection``, or ``existing_subnet_ids``) and the
    security groups (``existing_security_groups`` or ``existing_security_group_ids``); no lookups, nothing
    created; ``vpc`` is ``existing_vpc`` (None with subnet IDs). The definition only needs the IDs: the subnets
    are resolved with ``existing_vpc.select_subnets(subnet_selection)`` at synth time (``Vpc.from_vpc_attributes``
    works offline; ``Vpc.from_lookup`` needs credentials at the first synth, then cdk.context.json).

    Props of the two modes cannot be mixed, nor an interface with its ID twin; all input errors are reported
    together.

    :param existing_vpc: The VPC whose subnets jobs run in, instead of a new VPC (instead of
        ``existing_subnet_ids``). Requires security groups. Default: a new VPC is created.
    :param subnet_selection: Which subnets of ``existing_vpc``. Only with ``existing_vpc``. Default: CDK's
        default selection (the VPC's private subnets).
    :param existing_security_groups: Security groups for jobs (instead of ``existing_security_group_ids``).
        Requires subnets. Default: a new job security group is created.

    :param existing_subnet_ids: Subnets for jobs, instead of a new VPC. Requires
        ``existing_security_group_ids``. Default: a new VPC is created.
    :param existing_security_group_ids: Security groups for jobs. Requires ``existing_subnet_ids``.
        Default: a new job security group is created.
    :param vpc_cidr: IPv4 range of the new VPC (/16 to /24), split evenly between the subnets.
        Default: ``10.0.0.0/16``.
    :param availability_zones: The zones of the subnets (at least two), one subnet each.
        Default: the first two zones of the region, resolved at deploy time (``Fn::GetAZs``; no
        hard-coded zones for cfn-lint W3010). Note: ``ec2.Vpc`` reads the stack's zones in any
        case, so a stack with an explicit environment must supply them to synth offline (override
        ``Stack.availability_zones`` or put ``availability-zones:account=...:region=...`` in the
        cdk.json context); they are not looked up by this construct.
    :param interface_endpoints: Interface endpoints to create, by construct id.
        Default: ``default_interface_endpoints()``.
    :param flow_logs_retention: Retention of the flow log group (checkov wants at least a year).
        Default: one year.
    :param flow_logs_key: KMS key for the flow log group; its key policy must let CloudWatch Logs
        use it. Default: a new key with rotation, retained, whose policy allows CloudWatch Logs.
    :param s3_prefix_list_id: ID of the regional ``com.amazonaws.<region>.s3`` prefix list, for the
        job security group's egress rule. Default: looked up at deploy time by a custom resource
        (``ec2:DescribePrefixLists``), since CloudFormation exposes no such attribute.
    :param extra_endpoints: Names from ``optional_interface_endpoints`` (``SageMakerApi``,
        ``SageMakerRuntime``, ``Sts``) to add to ``interface_endpoints``, for job code that calls those APIs.
        Default: none.

    Endpoint policies: each interface endpoint admits principals of this account only
    (``aws:PrincipalAccount``); the S3 gateway endpoint admits ECR's layer bucket and what ``allow_s3`` adds.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        existing_subnet_ids: Sequence[str] | None = None,
        existing_security_group_ids: Sequence[str] | None = None,
        existing_vpc: ec2.IVpc | None = None,
        subnet_selection: ec2.SubnetSelection | None = None,
        existing_security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        vpc_cidr: str | None = None,
        availability_zones: Sequence[str] | None = None,
        interface_endpoints: Mapping[str, ec2.IInterfaceVpcEndpointService] | None = None,
        flow_logs_retention: logs.RetentionDays | None = None,
        flow_logs_key: kms.IKey | None = None,
        s3_prefix_list_id: str | None = None,
        extra_endpoints: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        created_props = {
            "vpc_cidr": vpc_cidr,
            "availability_zones": availability_zones,
            "interface_endpoints": interface_endpoints,
            "flow_logs_retention": flow_logs_retention,
            "flow_logs_key": flow_logs_key,
            "s3_prefix_list_id": s3_prefix_list_id,
            "extra_endpoints": extra_endpoints,
        }
        _check_interface_props(
            existing_vpc=existing_vpc,
            subnet_selection=subnet_selection,
            existing_security_groups=existing_security_groups,
            existing_subnet_ids=existing_subnet_ids,
            existing_security_group_ids=existing_security_group_ids,
            created_props=created_props,
        )
        if existing_vpc is not None or existing_security_groups is not None:
            # The interfaces stand in for their ID twins in the checks below (ids may be tokens).
            if existing_vpc is not None and existing_subnet_ids is None:
                try:
                    existing_subnet_ids = select_subnets(existing_vpc, subnet_selection)
                except RuntimeError as error:  # jsii: e.g. no subnets of the selected type
                    message = str(error).splitlines()[0]
                    raise ValueError(f"Invalid PipelineNetwork props:\n  - existing_vpc: {message}") from None
            if existing_security_groups is not None and existing_security_group_ids is None:
                existing_security_group_ids = [group.security_group_id for group in existing_security_groups]
        _check_props(existing_subnet_ids, existing_security_group_ids, created_props)

        self._vpc: ec2.Vpc | None = None
        self._existing_vpc = existing_vpc
        self._job_security_group: ec2.SecurityGroup | None = None
        self._endpoint_security_group: ec2.SecurityGroup | None = None
        self._interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self._s3_endpoint: ec2.GatewayVpcEndpoint | None = None
        self._flow_logs_key: kms.IKey | None = None
        self._flow_logs_log_group: logs.LogGroup | None = None
        self._flow_log: ec2.FlowLog | None = None
        self._s3_prefix_list_id: str | None = None
        self._s3_prefix_list_lookup: cr.AwsCustomResource | None = None

        if existing_subnet_ids is not None and existing_security_group_ids is not None:
            self._subnet_ids = list(existing_subnet_ids)
            self._security_group_ids = list(existing_security_group_ids)
            return

        isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self._vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(vpc_cidr or DEFAULT_VPC_CIDR),
            availability_zones=list(availability_zones) if availability_zones else _first_two_zones(),
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="Jobs", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
            restrict_default_security_group=True,
            enable_dns_hostnames=True,  # private DNS of interface endpoints needs both
            enable_dns_support=True,
        )
        self._acknowledge_restrict_default_sg_provider()

        self._flow_logs_key = flow_logs_key or self._new_flow_logs_key()
        self._flow_logs_log_group = logs.LogGroup(
            self,
            "FlowLogsLogGroup",
            encryption_key=self._flow_logs_key,
            retention=flow_logs_retention or DEFAULT_FLOW_LOGS_RETENTION,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._flow_log = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self._vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self._flow_logs_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        self._s3_endpoint = self._vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[isolated]
        )
        # The endpoint policy replaces "everything in S3": ECR's layer bucket (image pulls), then whatever
        # allow_s3 adds (the artifact bucket, the jobs' code and data).
        self._s3_statements: list[list[str]] = []
        self._s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="EcrImageLayers",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[ecr_layer_bucket_arn(self)],
            )
        )

        self._endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self._vpc,
            description="Interface endpoints of the pipeline network: HTTPS from pipeline jobs only",
            allow_all_outbound=False,
        )
        self._job_security_group = ec2.SecurityGroup(
            self,
            "JobSecurityGroup",
            vpc=self._vpc,
            description="SageMaker pipeline jobs: traffic within the group, HTTPS to endpoints and S3",
            allow_all_outbound=False,
        )
        jobs = self._job_security_group
        # Distributed training and multi-instance processing talk between their own instances.
        jobs.add_ingress_rule(jobs, ec2.Port.all_traffic(), "Inter-container traffic between pipeline jobs")
        jobs.add_egress_rule(jobs, ec2.Port.all_traffic(), "Inter-container traffic between pipeline jobs")
        jobs.add_egress_rule(self._endpoint_security_group, HTTPS, "HTTPS to the interface endpoints")
        self._endpoint_security_group.add_ingress_rule(jobs, HTTPS, "HTTPS from pipeline jobs")
        self._s3_prefix_list_id = s3_prefix_list_id or self._look_up_s3_prefix_list_id()
        jobs.add_egress_rule(
            ec2.Peer.prefix_list(self._s3_prefix_list_id),
            HTTPS,
            "HTTPS to Amazon S3 through the gateway endpoint",
        )

        if interface_endpoints is None:
            interface_endpoints = default_interface_endpoints()
        optional = optional_interface_endpoints()
        interface_endpoints = {**interface_endpoints, **{name: optional[name] for name in extra_endpoints or ()}}
        stack = cdk.Stack.of(self)
        for endpoint_id, service in interface_endpoints.items():
            endpoint = self._vpc.add_interface_endpoint(
                endpoint_id,
                service=service,
                subnets=isolated,
                security_groups=[self._endpoint_security_group],
                open=False,
                private_dns_enabled=True,
            )
            # Only principals of this account through this endpoint (not another account's credentials
            # carried into a job); their IAM policies still decide what each may do.
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ThisAccountOnly",
                    principals=[iam.AnyPrincipal()],
                    actions=["*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
                )
            )
            self._interface_endpoints[endpoint_id] = endpoint

        self._subnet_ids = self._vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids
        self._security_group_ids = [jobs.security_group_id]

    # -- public, read-only -------------------------------------------------------------------

    @property
    def vpc(self) -> ec2.IVpc | None:
        """The VPC (created, or ``existing_vpc``); None when subnets were imported by ID."""
        return self._vpc if self._vpc is not None else self._existing_vpc

    @property
    def subnet_ids(self) -> list[str]:
        """Subnet IDs for a job's ``VpcConfig.Subnets`` (tokens in created mode)."""
        return list(self._subnet_ids)

    @property
    def security_group_ids(self) -> list[str]:
        """Security group IDs for a job's ``VpcConfig.SecurityGroupIds``."""
        return list(self._security_group_ids)

    @property
    def job_security_group(self) -> ec2.ISecurityGroup | None:
        """The security group of the jobs; None when imported."""
        return self._job_security_group

    @property
    def endpoint_security_group(self) -> ec2.ISecurityGroup | None:
        """The security group of the interface endpoints; None when imported."""
        return self._endpoint_security_group

    @property
    def interface_endpoints(self) -> dict[str, ec2.InterfaceVpcEndpoint]:
        """The interface endpoints by construct id; empty when imported."""
        return dict(self._interface_endpoints)

    @property
    def s3_endpoint(self) -> ec2.GatewayVpcEndpoint | None:
        """The S3 gateway endpoint; None when imported."""
        return self._s3_endpoint

    @property
    def s3_prefix_list_id(self) -> str | None:
        """The S3 prefix list ID used in the job egress rule (a token when looked up)."""
        return self._s3_prefix_list_id

    @property
    def s3_prefix_list_lookup(self) -> cr.AwsCustomResource | None:
        """The deploy-time lookup of the S3 prefix list ID; None when given or imported."""
        return self._s3_prefix_list_lookup

    @property
    def flow_log(self) -> ec2.FlowLog | None:
        """The VPC flow log; None when imported."""
        return self._flow_log

    @property
    def flow_logs_log_group(self) -> logs.ILogGroup | None:
        """The encrypted flow log group; None when imported."""
        return self._flow_logs_log_group

    @property
    def flow_logs_key(self) -> kms.IKey | None:
        """The KMS key of the flow log group; None when imported."""
        return self._flow_logs_key

    # -- private -------------------------------------------------------------------------------

    def _new_flow_logs_key(self) -> kms.Key:
        return new_logs_key(self, "FlowLogsKey", f"Encrypts the VPC flow logs of {self.node.path}")

    def allow_s3(self, resources: Sequence[str], actions: Sequence[str] = _S3_READ_ACTIONS) -> None:
        """Let principals of this account reach ``resources`` (bucket and object ARNs) through the S3 gateway
        endpoint, with ``actions``. Nothing else in S3 is reachable from the network but ECR's layer bucket."""
        if self._s3_endpoint is None:
            return
        stack = cdk.Stack.of(self)
        self._s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid=f"Jobs{len(self._s3_statements) + 1}",
                principals=[iam.AnyPrincipal()],
                actions=sorted(actions),
                resources=list(resources),
                conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
            )
        )
        self._s3_statements.append(list(resources))

    def _look_up_s3_prefix_list_id(self) -> str:
        stack = cdk.Stack.of(self)
        call = cr.AwsSdkCall(
            service="EC2",
            action="DescribePrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{stack.region}.s3"]}]},
            physical_resource_id=cr.PhysicalResourceId.of(f"com.amazonaws.{stack.region}.s3"),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        lookup = self._s3_prefix_list_lookup = cr.AwsCustomResource(
            self,
            "S3PrefixListLookup",
            on_create=call,
            on_update=call,
            # ec2:Describe* calls support no resource-level permissions.
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ec2:DescribePrefixLists"], resources=["*"])]
            ),
            install_latest_aws_sdk=False,
        )
        _nag.acknowledge(
            _nag.policy_resource(lookup.node.find_child("CustomResourcePolicy")),
            _nag.finding_id(lookup, "IAM5", "Resource", "*"),
            "ec2:DescribePrefixLists supports no resource-level permissions; the lookup reads the ID "
            "of the regional S3 prefix list for the job security group's egress rule.",
        )
        self._accept_cdk_provider(
            "AWS679f53fac002430cb0da5b7982bd2287",
            "the aws-cdk-lib AwsCustomResource Lambda that looks up the S3 prefix list ID",
        )
        return lookup.get_response_field("PrefixLists.0.PrefixListId")

    def _acknowledge_restrict_default_sg_provider(self) -> None:
        self._accept_cdk_provider(
            "Custom::VpcRestrictDefaultSGCustomResourceProvider",
            "the aws-cdk-lib provider Lambda that removes the rules of the VPC's default security group",
        )

    def _accept_cdk_provider(self, child_id: str, what: str) -> None:
        _nag.accept_cdk_handler(cdk.Stack.of(self), child_id, what)


def _first_two_zones() -> list[str]:
    zones = cdk.Fn.get_azs()
    return [cdk.Fn.select(0, zones), cdk.Fn.select(1, zones)]


_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]{8,17}$")


def select_subnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> list[str]:
    """``vpc.select_subnets(selection)`` (jsii takes the selection's fields as keywords)."""
    if selection is None:
        return vpc.select_subnets().subnet_ids
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    ).subnet_ids


def _check_interface_props(
    *,
    existing_vpc: ec2.IVpc | None,
    subnet_selection: ec2.SubnetSelection | None,
    existing_security_groups: Sequence[ec2.ISecurityGroup] | None,
    existing_subnet_ids: Sequence[str] | None,
    existing_security_group_ids: Sequence[str] | None,
    created_props: Mapping[str, object],
) -> None:
    """The Solutions Constructs habit: an interface or its ID twin, not both; every error at once."""
    errors: list[str] = []
    if existing_vpc is not None and existing_subnet_ids is not None:
        errors.append("Either provide existing_vpc or existing_subnet_ids, but not both")
    if existing_security_groups is not None and existing_security_group_ids is not None:
        errors.append("Either provide existing_security_groups or existing_security_group_ids, but not both")
    if subnet_selection is not None and existing_vpc is None:
        errors.append("subnet_selection is only used with existing_vpc")
    if existing_security_groups is not None and (
        isinstance(existing_security_groups, (str, ec2.SecurityGroup)) or not list(existing_security_groups)
    ):
        errors.append("existing_security_groups must be a non-empty list of security groups")
    subnets = existing_vpc is not None or existing_subnet_ids is not None
    groups = existing_security_groups is not None or existing_security_group_ids is not None
    if (existing_vpc is not None or existing_security_groups is not None) and subnets != groups:
        errors.append(
            "subnets (existing_vpc or existing_subnet_ids) and security groups (existing_security_groups or "
            "existing_security_group_ids) must be given together"
        )
    if existing_vpc is not None or existing_security_groups is not None:
        given = sorted(name for name, value in created_props.items() if value is not None)
        if given:
            errors.append(
                f"Either provide an existing network or the props of a new one ({', '.join(given)}), but not both"
            )
    if errors:
        raise ValueError("Invalid PipelineNetwork props:\n  - " + "\n  - ".join(errors))


def _check_props(
    existing_subnet_ids: Sequence[str] | None,
    existing_security_group_ids: Sequence[str] | None,
    created_props: Mapping[str, object],
) -> None:
    errors: list[str] = []
    importing = existing_subnet_ids is not None or existing_security_group_ids is not None
    if importing:
        if existing_subnet_ids is None or existing_security_group_ids is None:
            errors.append("existing_subnet_ids and existing_security_group_ids must be given together")
        given = sorted(name for name, value in created_props.items() if value is not None)
        if given:
            errors.append(
                "Either provide existing_subnet_ids/existing_security_group_ids or the props of a new "
                f"network ({', '.join(given)}), but not both"
            )
        for name, ids, pattern in (
            ("existing_subnet_ids", existing_subnet_ids, _SUBNET_ID),
            ("existing_security_group_ids", existing_security_group_ids, _SECURITY_GROUP_ID),
        ):
            if ids is None:
                continue
            if isinstance(ids, str) or not list(ids):
                errors.append(f"{name} must be a non-empty list of IDs (got {ids!r})")
                continue
            bad = [i for i in ids if not cdk.Token.is_unresolved(i) and not pattern.match(i)]
            if bad:
                errors.append(f"{name}: not an ID of the form {pattern.pattern}: {', '.join(map(repr, bad))}")
    extra = created_props.get("extra_endpoints")
    if isinstance(extra, str):
        errors.append("extra_endpoints must be a list of names, not a string")
    elif extra is not None:
        known = optional_interface_endpoints()
        for name in extra:  # type: ignore[attr-defined]
            if name not in known:
                errors.append(f"extra_endpoints: unknown endpoint {name!r} (known: {', '.join(known)})")
    vpc_cidr = created_props.get("vpc_cidr")
    if isinstance(vpc_cidr, str):
        try:
            network = ipaddress.IPv4Network(vpc_cidr)
            if not 16 <= network.prefixlen <= 24:
                errors.append(f"vpc_cidr must be a /16 to /24 range (got {vpc_cidr})")
        except ValueError:
            errors.append(f"vpc_cidr is not an IPv4 CIDR range (got {vpc_cidr!r})")
    zones = created_props.get("availability_zones")
    if zones is not None:
        # not a str: the constructor types availability_zones Sequence[str] | None
        zone_list = [zones] if isinstance(zones, str) else list(cast("Iterable[str]", zones))
        if isinstance(zones, str) or len(set(zone_list)) < 2:
            errors.append(f"availability_zones must list at least two distinct zones (got {zones!r})")
    prefix_list_id = created_props.get("s3_prefix_list_id")
    if (
        isinstance(prefix_list_id, str)
        and not cdk.Token.is_unresolved(prefix_list_id)
        and not _PREFIX_LIST_ID.match(prefix_list_id)
    ):
        errors.append(f"s3_prefix_list_id is not a prefix list ID (got {prefix_list_id!r})")
    if errors:
        raise ValueError("Invalid PipelineNetwork props:\n  - " + "\n  - ".join(errors))
