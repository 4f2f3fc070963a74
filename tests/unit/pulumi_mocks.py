"""The AWS Pulumi program under `pulumi.runtime` mocks: no CLI, no cloud.

The mocks record every resource the program registers with its inputs;
`@pulumi.runtime.test` returns only after every registration has finished,
so the tests read a complete, settled list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from chirp.core.settings import Settings
from chirp.infra.provision.aws.program import build_program
from chirp.infra.provision.aws.sizing import AwsSizing

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]

# Outputs the cloud would compute, so that values built from them are concrete.
_COMPUTED: dict[str, dict[str, Any]] = {
    "aws:ecr/repository:Repository": {"repositoryUrl": "123.dkr.ecr.eu-west-1/chirp-test"},
    "aws:lb/loadBalancer:LoadBalancer": {
        "arnSuffix": "app/chirp/abc",
        "dnsName": "chirp.elb.example",
    },
    "aws:msk/cluster:Cluster": {
        "bootstrapBrokersSaslScram": "b-1.msk:9096,b-2.msk:9096,b-3.msk:9096"
    },
    "aws:msk/configuration:Configuration": {"latestRevision": 1},
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        "primaryEndpointAddress": "master.chirp.cache.example",
        "readerEndpointAddress": "replica.chirp.cache.example",
    },
    "aws:opensearch/domain:Domain": {"endpoint": "vpc-chirp.es.example"},
    "aws:cloudfront/distribution:Distribution": {"domainName": "d111.cloudfront.example"},
    "aws:s3/bucketV2:BucketV2": {
        "bucket": "chirp-media",
        "bucketRegionalDomainName": "chirp-media.s3.eu-west-1.example",
    },
    "random:index/randomId:RandomId": {"hex": "0a1b2c3d"},
    "random:index/randomPassword:RandomPassword": {"result": "generated-by-random"},
}

SETTINGS = Settings(postgres_db="chirp", postgres_user="postgres", kafka_partitions=6)
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/chirp"


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like a cloud would and remembers every resource it was asked for."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        # arn:aws:<service>:<region>:<account>:<name>, as the cloud would name it.
        service = args.typ.split(":")[1].split("/")[0]
        arn = f"arn:aws:{service}:eu-west-1:123456789012:{args.name}"
        state: dict[str, Any] = {"arn": arn, "name": args.name}
        state.update(args.inputs)
        state.update(_COMPUTED.get(args.typ, {}))
        if args.typ == "aws:lb/targetGroup:TargetGroup":
            state["arnSuffix"] = f"targetgroup/{args.name}/1"
        if args.typ == "aws:rds/instance:Instance":
            state.update(address=f"{args.name}.rds.example", identifier=args.name)
            state["masterUserSecrets"] = [{"secretArn": "arn:aws:secretsmanager:pg"}]
        if args.typ == "aws:dynamodb/table:Table":
            state["streamArn"] = f"arn:aws:dynamodb:stream/{args.name}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zone_ids = [f"euw1-az{i}" for i in range(len(ZONES))]
            return {"names": ZONES, "zoneIds": zone_ids}, []
        return {}, []


@dataclass
class Deployed:
    """The resources one run of the program registered."""

    resources: list[pulumi.runtime.MockResourceArgs]

    def of_type(self, typ: str) -> list[dict[str, Any]]:
        return [r.inputs for r in self.resources if r.typ == typ]

    def named(self, typ: str, name: str) -> dict[str, Any]:
        found = [r.inputs for r in self.resources if r.typ == typ and r.name == name]
        assert len(found) == 1, f"expected one {typ} named {name}, found {len(found)}"
        return found[0]

    def one(self, typ: str) -> dict[str, Any]:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {len(found)}"
        return found[0]

    def types(self) -> set[str]:
        return {r.typ for r in self.resources}


def deploy(sizing: AwsSizing, settings: Settings = SETTINGS) -> Deployed:
    """Run the whole program once under fresh mocks."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="chirp", stack="test", preview=False)

    @pulumi.runtime.test
    def run() -> None:
        build_program(sizing, settings)()

    run()
    return Deployed(mocks.resources)


def container(stack: Deployed, role: str) -> dict[str, Any]:
    """The one container definition of `role`'s task definition."""
    definition = stack.named("aws:ecs/taskDefinition:TaskDefinition", f"chirp-app-{role}")
    (only,) = json.loads(definition["containerDefinitions"])
    return only  # type: ignore[no-any-return]
