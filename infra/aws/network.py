"""The VPC: public and private subnets in each availability zone, and security groups.

Public subnets hold the ALB and one NAT gateway per zone (a zone's outage
leaves the others their way out). Everything else runs in the private
subnets. DynamoDB is reached through a gateway endpoint, off the NAT path.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass
class NetworkArgs:
    """Zones and address plan of the VPC, and the ports its security groups open."""

    region: str
    zones: int
    app_port: int
    data_ports: Sequence[int]
    listener_ports: Sequence[int] = field(default_factory=lambda: (80, 443))
    cidr: str = "10.40.0.0/16"


class Network(pulumi.ComponentResource):
    """A VPC over `zones` availability zones with the ALB, app and data security groups."""

    vpc_id: pulumi.Output[str]
    zone_names: pulumi.Output[list[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    alb_security_group_id: pulumi.Output[str]
    app_security_group_id: pulumi.Output[str]
    data_security_group_id: pulumi.Output[str]

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

        alb = self._group(
            f"{name}-alb",
            vpc.id,
            "internet to the load balancer",
            [_ingress(port, cidr_blocks=["0.0.0.0/0"]) for port in args.listener_ports],
        )
        app = self._group(
            f"{name}-app",
            vpc.id,
            "load balancer to the gateways",
            [_ingress(args.app_port, security_groups=[alb.id])],
        )
        data = self._group(
            f"{name}-data",
            vpc.id,
            "chirp tasks to the data services",
            [_ingress(port, security_groups=[app.id]) for port in args.data_ports],
        )
        self.alb_security_group_id = alb.id
        self.app_security_group_id = app.id
        self.data_security_group_id = data.id

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _group(
        self,
        name: str,
        vpc_id: pulumi.Input[str],
        description: str,
        ingress: list[aws.ec2.SecurityGroupIngressArgs],
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            name,
            vpc_id=vpc_id,
            description=description,
            ingress=ingress,
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )


def _ingress(port: int, **source: object) -> aws.ec2.SecurityGroupIngressArgs:
    return aws.ec2.SecurityGroupIngressArgs(
        protocol="tcp",
        from_port=port,
        to_port=port,
        **source,  # type: ignore[arg-type]
    )


def _nth(index: int, names: list[str]) -> str:
    return names[index]
