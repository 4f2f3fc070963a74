"""ECS Fargate: the gateways behind an ALB, each worker type as its own service.

One chirp image runs every role; the command picks it. The gateway service
registers with three target groups so the ALB's per-target-group metrics
measure the seed's two latency objectives apart: writes (POST, PUT, PATCH,
DELETE), feed reads (GET /api/v1/feed), and everything else. All three check
`GET /readyz`.

The public listener is HTTPS (HTTP only redirects to it); plain HTTP needs the
sizing's `allow_plain_http`. /metrics is never served through the ALB: every task
serves its metrics on `METRICS_PORT`, which only the monitoring security group
reaches, and the listener answers 404 for the path besides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.iam import TaskRoles, allow
from chirp.infra.provision.aws.roles import GATEWAY, GATEWAY_PORT, METRICS_PORT, WORKERS
from chirp.infra.provision.aws.sizing import AwsSizing, ServiceSizing

HEALTH_CHECK_PATH = "/readyz"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FEED_PATH = "/api/v1/feed*"
TARGET_GROUPS = ("writes", "feed", "other")
BOOTSTRAP = "bootstrap"
HIDDEN_PATHS = ("/metrics", "/metrics/*")


@dataclass
class ServicesArgs:
    """Sizes, what every task is told, and where the tasks and the ALB live."""

    sizing: AwsSizing
    environment: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, pulumi.Input[str]]
    """Environment variable → Secrets Manager reference (`arn:...:json-key::`)."""
    secret_arns: Sequence[pulumi.Input[str]]
    key_arns: Sequence[pulumi.Input[str]]
    """Customer-managed KMS keys of those secrets."""
    table_arns: Sequence[pulumi.Input[str]]
    roles: TaskRoles
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    alb_security_group_id: pulumi.Input[str]
    gateway_security_group_id: pulumi.Input[str]
    worker_security_group_id: pulumi.Input[str]


class Services(pulumi.ComponentResource):
    """The ECS cluster, its services and the load balancer in front of the gateways."""

    cluster_name: pulumi.Output[str]
    services: dict[str, aws.ecs.Service]
    load_balancer_arn_suffix: pulumi.Output[str]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    api_url: pulumi.Output[str]
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

        target_groups = self._load_balancer()
        self.services = {
            GATEWAY: self._service(
                GATEWAY,
                args.sizing.gateway,
                ["python", "-m", "chirp.stack.run", "gateway", "--port", str(GATEWAY_PORT)],
                cluster,
                target_groups,
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
        self.register_outputs({"cluster_name": self.cluster_name, "api_url": self.api_url})

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
        """The execution role reads the task secrets; the task role uses the tables."""
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

    def _load_balancer(self) -> dict[str, aws.lb.TargetGroup]:
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        alb = aws.lb.LoadBalancer(
            f"{self._name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[args.alb_security_group_id],
            drop_invalid_header_fields=True,
            opts=child,
        )
        groups = {
            kind: aws.lb.TargetGroup(
                f"{self._name}-{kind}",
                port=GATEWAY_PORT,
                protocol="HTTP",
                target_type="ip",
                vpc_id=args.vpc_id,
                deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    path=HEALTH_CHECK_PATH,
                    matcher="200",
                    # The ALB's shortest interval; a gateway is out after two misses.
                    interval=5,
                    timeout=2,
                    healthy_threshold=2,
                    unhealthy_threshold=2,
                ),
                opts=child,
            )
            for kind in TARGET_GROUPS
        }
        listener = self._listener(alb, groups["other"])
        rules = {
            "writes": aws.lb.ListenerRuleConditionArgs(
                http_request_method=aws.lb.ListenerRuleConditionHttpRequestMethodArgs(
                    values=list(WRITE_METHODS)
                )
            ),
            "feed": aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=[FEED_PATH])
            ),
        }
        for priority, (kind, condition) in enumerate(rules.items(), start=10):
            aws.lb.ListenerRule(
                f"{self._name}-{kind}",
                listener_arn=listener.arn,
                priority=priority,
                conditions=[condition],
                actions=[
                    aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=groups[kind].arn)
                ],
                opts=child,
            )
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.target_group_arn_suffixes = {kind: tg.arn_suffix for kind, tg in groups.items()}
        scheme = "https" if args.sizing.certificate_arn else "http"
        self.api_url = pulumi.Output.concat(scheme, "://", alb.dns_name)
        return groups

    def _listener(self, alb: aws.lb.LoadBalancer, default: aws.lb.TargetGroup) -> aws.lb.Listener:
        sizing = self._args.sizing
        sizing.require_public_tls()
        forward = [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=default.arn)]
        if not sizing.certificate_arn:  # plain HTTP, asked for by name
            listener = self._http_listener(alb, forward)
        else:
            redirect = aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"
                ),
            )
            self._http_listener(alb, [redirect])
            listener = aws.lb.Listener(
                f"{self._name}-https",
                load_balancer_arn=alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                certificate_arn=sizing.certificate_arn,
                default_actions=forward,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self._hide_metrics(listener)
        return listener

    def _http_listener(
        self, alb: aws.lb.LoadBalancer, actions: list[aws.lb.ListenerDefaultActionArgs]
    ) -> aws.lb.Listener:
        return aws.lb.Listener(
            f"{self._name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=actions,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _hide_metrics(self, listener: aws.lb.Listener) -> None:
        """Answer 404 for /metrics at the edge, before any rule forwards it."""
        aws.lb.ListenerRule(
            f"{self._name}-no-metrics",
            listener_arn=listener.arn,
            priority=1,
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(
                        values=list(HIDDEN_PATHS)
                    )
                )
            ],
            actions=[
                aws.lb.ListenerRuleActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerRuleActionFixedResponseArgs(
                        content_type="application/json",
                        status_code="404",
                        message_body='{"error": {"code": "not_found", "message": "not found"}}',
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
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
