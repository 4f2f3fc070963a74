"""The AWS provider: chirp's stack on managed services, as a Pulumi program in Python.

Components (one module each): `network` (VPC over 3 zones, a security group per
component), `iam` (the task and execution roles), `kafka` (MSK, TLS and SCRAM),
`cache` (ElastiCache Redis: a primary, replicas, automatic failover, TLS), `tables`
(DynamoDB), `postgres` (RDS with read replicas), `search` (OpenSearch), `balancer` (the
public ALB), `edge` (the media bucket and CloudFront), `services` (ECS Fargate behind the
ALB), `scaling` (CPU and consumer-lag autoscaling), `alarms`
(CloudWatch at the seed's thresholds). `program` assembles them, `sizing`
says how big they are, `automation` runs them for `chirp up|down --provider aws`.

Pulumi and its providers are the `aws` extra: without them, importing this package
says how to install them instead of failing on the first `import pulumi`.
"""

from chirp.core.errors import MissingDependency

try:
    import pulumi  # noqa: F401
    import pulumi_aws  # noqa: F401
    import pulumi_random  # noqa: F401
except ModuleNotFoundError as error:
    raise MissingDependency(
        f"{error.name} (the AWS provider's Pulumi packages)", "pip install 'chirp[aws]'"
    ) from error

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
