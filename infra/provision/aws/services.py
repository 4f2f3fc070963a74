"""ECS Fargate: the gateways behind the ALB (`balancer`), each worker type as its own service.

One chirp image runs every role; the command picks it. The gateway service registers
with the balancer's three target groups. Every task serves its metrics on
`METRICS_PORT`, which only the monitoring security group reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.iam import TaskRoles, allow
from chirp.infra.provision.aws.roles import GATEWAY, GATEWAY_PORT, METRICS_PORT, WORKERS
from chirp.infra.provision.aws.sizing import AwsSizing, ServiceSizing

BOOTSTRAP = "bootstrap"


@dataclass
class ServicesArgs:
    """Sizes, what every task is told and may do, and where the tasks live."""

    sizing: AwsSizing
    environment: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, pulumi.Input[str]]
    """Environment variable → Secrets Manager reference (`arn:...:json-key::`)."""
    secret_arns: Sequence[pulumi.Input[str]]
    key_arns: Sequence[pulumi.Input[str]]
    """Customer-managed KMS keys of those secrets."""
    table_arns: Sequence[pulumi.Input[str]]
    distribution_arn: pulumi.Input[str]
    """The CloudFront distribution the gateways and the edge purger invalidate."""
    media_bucket_arn: pulumi.Input[str]
    """The S3 bucket the gateways put media in and the edge purger deletes it from."""
    roles: TaskRoles
    target_groups: Mapping[str, aws.lb.TargetGroup]
    """The ALB's target groups every gateway task registers with."""
    private_subnet_ids: Sequence[pulumi.Input[str]]
    gateway_security_group_id: pulumi.Input[str]
    worker_security_group_id: pulumi.Input[str]


class Services(pulumi.ComponentResource):
    """The ECS cluster and its services."""

    cluster_name: pulumi.Output[str]
    services: dict[str, aws.ecs.Service]
    bootstrap_task_definition_arn: pulumi.Output[str]
    image_repository_url: pulumi.Output[str] | None
    """The ECR repository created for the chirp image; None when the sizing names an image."""

    def __init__(
        self, name: str, args: ServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Services", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=child,
        )
        self.cluster_name = cluster.name
        self._logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/chirp/{pulumi.get_stack()}", retention_in_days=14, opts=child
        )
        self._image = self._image_uri()
        self._grant()

        self.services = {
            GATEWAY: self._service(
                GATEWAY,
                args.sizing.gateway,
                ["python", "-m", "chirp.stack.run", "gateway", "--port", str(GATEWAY_PORT)],
                cluster,
                args.target_groups,
            )
        }
        for worker in WORKERS:
            self.services[worker.name] = self._service(
                worker.name, args.sizing.workers[worker.name], worker.command, cluster
            )
        bootstrap = self._task_definition(
            BOOTSTRAP, ServiceSizing(), ["python", "-m", "chirp.stack.bootstrap"]
        )
        self.bootstrap_task_definition_arn = bootstrap.arn
        self.register_outputs({"cluster_name": self.cluster_name})

    def _image_uri(self) -> pulumi.Input[str]:
        sizing = self._args.sizing
        self.image_repository_url = None
        if sizing.image:
            return sizing.image
        repository = aws.ecr.Repository(
            f"{self._name}-image",
            name=f"chirp-{pulumi.get_stack()}",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            # Images are rebuilt from the repo; `chirp down` must not stop on them.
            force_delete=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image_repository_url = repository.repository_url
        return pulumi.Output.concat(repository.repository_url, ":", sizing.image_tag)

    def _grant(self) -> None:
        """The execution role reads the task secrets; the task role uses the tables, puts
        and deletes media objects, and invalidates the edge's cache (a purge, see
        stack/edge/purge.py)."""
        args = self._args
        roles = args.roles
        allow(
            f"{self._name}-secrets",
            roles.execution,
            [
                (["secretsmanager:GetSecretValue"], list(args.secret_arns)),
                (["kms:Decrypt"], list(args.key_arns)),
            ],
            self,
        )
        table_resources = [
            resource
            for arn in args.table_arns
            for resource in (
                arn,
                pulumi.Output.concat(arn, "/index/*"),
                pulumi.Output.concat(arn, "/stream/*"),
            )
        ]
        allow(
            f"{self._name}-tables",
            roles.task,
            [
                (["dynamodb:*"], table_resources),
                # Readiness and the bootstrap list tables; the action has no resource scope.
                (["dynamodb:ListTables"], ["*"]),
            ],
            self,
        )
        allow(
            f"{self._name}-media",
            roles.task,
            [
                (
                    ["s3:PutObject", "s3:DeleteObject"],
                    [pulumi.Output.concat(args.media_bucket_arn, "/*")],
                )
            ],
            self,
        )
        allow(
            f"{self._name}-purge",
            roles.task,
            [(["cloudfront:CreateInvalidation"], [args.distribution_arn])],
            self,
        )

    def _task_definition(
        self, role: str, sizing: ServiceSizing, command: list[str]
    ) -> aws.ecs.TaskDefinition:
        args = self._args
        container: dict[str, object] = {
            "name": role,
            "image": self._image,
            "essential": True,
            "command": command,
            "environment": [
                {"name": key, "value": value} for key, value in sorted(args.environment.items())
            ],
            "secrets": [
                {"name": key, "valueFrom": value} for key, value in sorted(args.secrets.items())
            ],
            "stopTimeout": 30,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self._logs.name,
                    "awslogs-region": args.sizing.region,
                    "awslogs-stream-prefix": role,
                },
            },
        }
        ports = {GATEWAY: [GATEWAY_PORT, METRICS_PORT], BOOTSTRAP: []}.get(role, [METRICS_PORT])
        if ports:
            container["portMappings"] = [{"containerPort": p, "protocol": "tcp"} for p in ports]
        return aws.ecs.TaskDefinition(
            f"{self._name}-{role}",
            family=f"chirp-{pulumi.get_stack()}-{role}",
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu=str(sizing.cpu),
            memory=str(sizing.memory_mb),
            execution_role_arn=args.roles.execution.arn,
            task_role_arn=args.roles.task.arn,
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            container_definitions=pulumi.Output.json_dumps([container]),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _service(
        self,
        role: str,
        sizing: ServiceSizing,
        command: list[str],
        cluster: aws.ecs.Cluster,
        target_groups: Mapping[str, aws.lb.TargetGroup] | None = None,
    ) -> aws.ecs.Service:
        args = self._args
        task = self._task_definition(role, sizing, command)
        balanced = [
            aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=group.arn, container_name=role, container_port=GATEWAY_PORT
            )
            for group in (target_groups or {}).values()
        ]
        return aws.ecs.Service(
            f"{self._name}-{role}",
            name=role,
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=sizing.min_tasks,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.private_subnet_ids),
                security_groups=[
                    args.gateway_security_group_id if balanced else args.worker_security_group_id
                ],
                assign_public_ip=False,
            ),
            load_balancers=balanced or None,
            health_check_grace_period_seconds=60 if balanced else None,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Autoscaling owns the running count once the service exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"]),
        )
