"""The public ALB in front of the gateways, made before the services and the edge.

CloudFront's API origin is the ALB, and the tasks need CloudFront's distribution id to
purge, so the order is ALB, then the edge, then the ECS services (which register their
gateways with these target groups). Three target groups let the ALB's per-target-group
metrics measure the seed's two latency objectives apart: writes (POST, PUT, PATCH,
DELETE), feed reads (GET /api/v1/feed), and everything else. All three check
`GET /readyz`.

The public listener is HTTPS (HTTP only redirects to it); plain HTTP needs the
sizing's `allow_plain_http`. /metrics is never served through the ALB: the listener
answers 404 for the path before any rule forwards it.

These resources used to be children of the services component: each carries an alias
to its old place, so an existing stack keeps its ALB (and its address).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.roles import GATEWAY_PORT
from chirp.infra.provision.aws.sizing import AwsSizing

HEALTH_CHECK_PATH = "/readyz"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FEED_PATH = "/api/v1/feed*"
TARGET_GROUPS = ("writes", "feed", "other")
HIDDEN_PATHS = ("/metrics", "/metrics/*")
_MOVED_FROM_TYPE = "chirp:aws:Services"


@dataclass
class BalancerArgs:
    sizing: AwsSizing
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]


class Balancer(pulumi.ComponentResource):
    """The ALB, its listeners and rules, and the gateways' three target groups."""

    target_groups: dict[str, aws.lb.TargetGroup]
    load_balancer_arn_suffix: pulumi.Output[str]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    api_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: BalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Balancer", name, None, opts)
        self._name = name
        self._args = args
        old_parent = pulumi.create_urn(name, _MOVED_FROM_TYPE, parent=opts.parent if opts else None)
        self._child = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=old_parent)])
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[args.security_group_id],
            drop_invalid_header_fields=True,
            opts=self._child,
        )
        self.target_groups = {kind: self._target_group(kind, args) for kind in TARGET_GROUPS}
        listener = self._listener(alb, self.target_groups["other"])
        self._route(listener)
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.target_group_arn_suffixes = {
            kind: group.arn_suffix for kind, group in self.target_groups.items()
        }
        scheme = "https" if args.sizing.certificate_arn else "http"
        self.api_url = pulumi.Output.concat(scheme, "://", alb.dns_name)
        self.register_outputs({"api_url": self.api_url})

    def _target_group(self, kind: str, args: BalancerArgs) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
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
            opts=self._child,
        )

    def _route(self, listener: aws.lb.Listener) -> None:
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
                    aws.lb.ListenerRuleActionArgs(
                        type="forward", target_group_arn=self.target_groups[kind].arn
                    )
                ],
                opts=self._child,
            )

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
                opts=self._child,
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
            opts=self._child,
        )

    def _hide_metrics(self, listener: aws.lb.Listener) -> None:
        """Answer 404 for /metrics at the ALB, before any rule forwards it."""
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
            opts=self._child,
        )
