"""The VPC: public and private subnets in each availability zone, and security groups.

Public subnets hold the ALB and one NAT gateway per zone (a zone's outage
leaves the others their way out). Everything else runs in the private
subnets. DynamoDB is reached through a gateway endpoint, off the NAT path.

Each kind of component has a security group of its own, and `firewall_rules`
is the whole list of what may reach what: the internet reaches only the load
balancer's listener ports; the load balancer reaches only the gateways' API port;
the monitoring group (give it to whatever runs Prometheus) reaches only the
metrics ports; gateways and workers reach each data service on its one port and
AWS APIs on 443. Data services initiate nothing.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

ANYWHERE = "0.0.0.0/0"
ALB, GATEWAYS, WORKERS, MONITORING = "alb", "gateways", "workers", "monitoring"
TASKS = (GATEWAYS, WORKERS)


@dataclass(frozen=True)
class Rule:
    """One allowed flow: `group` accepts (in) or opens (out) `port` with `peer`, which is
    another group's key or a CIDR block."""

    group: str
    direction: Literal["in", "out"]
    port: int
    peer: str


def firewall_rules(
    *,
    listener_ports: Sequence[int],
    app_port: int,
    metrics_port: int,
    data_ports: Mapping[str, int],
) -> list[Rule]:
    """Every ingress and egress rule of the stack's security groups."""
    rules = [Rule(ALB, "in", port, ANYWHERE) for port in listener_ports]
    rules += [Rule(ALB, "out", app_port, GATEWAYS), Rule(GATEWAYS, "in", app_port, ALB)]
    for tasks in TASKS:
        rules += [
            Rule(tasks, "in", metrics_port, MONITORING),
            Rule(MONITORING, "out", metrics_port, tasks),
            # AWS APIs: ECR, CloudWatch Logs, Secrets Manager, DynamoDB (gateway endpoint).
            Rule(tasks, "out", 443, ANYWHERE),
        ]
        for service, port in data_ports.items():
            rules += [Rule(service, "in", port, tasks), Rule(tasks, "out", port, service)]
    # Remote write to a managed Prometheus workspace.
    rules.append(Rule(MONITORING, "out", 443, ANYWHERE))
    return rules


@dataclass
class NetworkArgs:
    """Zones and address plan of the VPC, and the ports its security groups open."""

    region: str
    zones: int
    app_port: int
    metrics_port: int
    data_ports: Mapping[str, int]
    """Data service name → the one port its security group accepts from the tasks."""
    listener_ports: Sequence[int]
    """The ports the public load balancer listens on."""
    cidr: str = "10.40.0.0/16"


class Network(pulumi.ComponentResource):
    """A VPC over `zones` availability zones and the security groups of every component."""

    vpc_id: pulumi.Output[str]
    zone_names: pulumi.Output[list[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    security_group_ids: dict[str, pulumi.Output[str]]
    alb_security_group_id: pulumi.Output[str]
    gateway_security_group_id: pulumi.Output[str]
    worker_security_group_id: pulumi.Output[str]
    monitoring_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.zone_names = zones.names.apply(lambda names: list(names[: args.zones]))
        # /20 blocks: public ones first, private ones from the second half of the VPC.
        blocks = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=20))
        half = len(blocks) // 2

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        self.vpc_id = vpc.id
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            opts=child,
        )

        self.public_subnet_ids = []
        self.private_subnet_ids = []
        private_route_ids = []
        for index in range(args.zones):
            zone = zones.names.apply(functools.partial(_nth, index))
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[index]),
                availability_zone=zone,
                map_public_ip_on_launch=True,
                tags={"Name": f"{name}-public-{index}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=public.id,
                route_table_id=public_routes.id,
                opts=child,
            )
            address = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", opts=child)
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{index}",
                subnet_id=public.id,
                allocation_id=address.id,
                opts=child,
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[half + index]),
                availability_zone=zone,
                tags={"Name": f"{name}-private-{index}"},
                opts=child,
            )
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}",
                subnet_id=private.id,
                route_table_id=private_routes.id,
                opts=child,
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
            private_route_ids.append(private_routes.id)

        aws.ec2.VpcEndpoint(
            f"{name}-dynamodb",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=private_route_ids,
            opts=child,
        )

        self.security_group_ids = self._firewall(name, vpc.id, args)
        self.alb_security_group_id = self.security_group_ids[ALB]
        self.gateway_security_group_id = self.security_group_ids[GATEWAYS]
        self.worker_security_group_id = self.security_group_ids[WORKERS]
        self.monitoring_security_group_id = self.security_group_ids[MONITORING]

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _firewall(
        self, name: str, vpc_id: pulumi.Input[str], args: NetworkArgs
    ) -> dict[str, pulumi.Output[str]]:
        """A security group per component, then each rule as a resource of its own."""
        rules = firewall_rules(
            listener_ports=args.listener_ports,
            app_port=args.app_port,
            metrics_port=args.metrics_port,
            data_ports=args.data_ports,
        )
        groups = {ALB, GATEWAYS, WORKERS, MONITORING, *args.data_ports}
        ids = {
            group: aws.ec2.SecurityGroup(
                f"{name}-{group}",
                vpc_id=vpc_id,
                description=f"chirp {group}",
                tags={"Name": f"{name}-{group}"},
                opts=pulumi.ResourceOptions(parent=self),
            ).id
            for group in sorted(groups)
        }
        for rule in rules:
            _rule_resource(
                f"{name}-{rule.group}-{rule.direction}-{rule.port}-{rule.peer}", rule, ids, self
            )
        return ids


def _rule_resource(
    name: str, rule: Rule, ids: Mapping[str, pulumi.Output[str]], parent: pulumi.Resource
) -> pulumi.Resource:
    peer = (
        {"cidr_ipv4": rule.peer}
        if rule.peer not in ids
        else {"referenced_security_group_id": ids[rule.peer]}
    )
    kind = (
        aws.vpc.SecurityGroupIngressRule
        if rule.direction == "in"
        else aws.vpc.SecurityGroupEgressRule
    )
    return kind(
        name.replace("/", "_"),
        security_group_id=ids[rule.group],
        ip_protocol="tcp",
        from_port=rule.port,
        to_port=rule.port,
        description=f"{rule.direction} {rule.port} {rule.peer}",
        opts=pulumi.ResourceOptions(parent=parent),
        **peer,
    )


def _nth(index: int, names: list[str]) -> str:
    return names[index]
