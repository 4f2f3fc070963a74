"""The AWS provider: chirp's stack on managed services, as a Pulumi program in Python.

Components (one module each): `network` (VPC over 3 zones, a security group per
component), `iam` (the task and execution roles), `kafka` (MSK, TLS and SCRAM),
`cache` (ElastiCache Redis: a primary, replicas, automatic failover, TLS), `tables`
(DynamoDB), `postgres` (RDS with read replicas), `search` (OpenSearch), `services` (ECS Fargate
behind an ALB), `scaling` (CPU and consumer-lag autoscaling), `alarms`
(CloudWatch at the seed's thresholds). `program` assembles them, `sizing`
says how big they are, `automation` runs them for `chirp up|down --provider aws`.
"""

from chirp.infra.provision.aws.automation import aws_down, aws_up, require_prerequisites
from chirp.infra.provision.aws.program import ChirpAws, ChirpAwsArgs, build_program
from chirp.infra.provision.aws.sizing import AwsSizing, default_sizing_file, load_sizing

__all__ = [
    "AwsSizing",
    "ChirpAws",
    "ChirpAwsArgs",
    "aws_down",
    "aws_up",
    "build_program",
    "default_sizing_file",
    "load_sizing",
    "require_prerequisites",
]
