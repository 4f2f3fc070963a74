"""The one-shot `python -m chirp.stack.bootstrap` as an ECS task, run after `pulumi up`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError, WaiterError

from chirp.core.errors import ComponentFailed
from chirp.infra.provision.aws.services import BOOTSTRAP

_WAIT_DELAY_S = 10
_WAIT_ATTEMPTS = 90  # 15 minutes: image pull, then schema, topics and indices


def image_missing(region: str, repository_url: str, tag: str) -> bool:
    """Whether the stack's ECR repository lacks the chirp image at `tag`."""
    name = repository_url.split("/", 1)[1]
    ecr = boto3.client("ecr", region_name=region)
    try:
        ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ImageNotFoundException":
            return True
        raise
    return False


def run_bootstrap(region: str, outputs: Mapping[str, Any]) -> None:
    """Run the bootstrap task in the private subnets and wait for it to exit 0."""
    ecs = boto3.client("ecs", region_name=region)
    cluster = outputs["ecs_cluster"]
    started = ecs.run_task(
        cluster=cluster,
        taskDefinition=outputs["bootstrap_task_definition"],
        launchType="FARGATE",
        count=1,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(outputs["private_subnet_ids"]),
                "securityGroups": [outputs["app_security_group_id"]],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    if started.get("failures") or not started.get("tasks"):
        reasons = ", ".join(f["reason"] for f in started.get("failures", [])) or "no task"
        raise ComponentFailed(BOOTSTRAP, f"the ECS task did not start: {reasons}")
    task_arn = started["tasks"][0]["taskArn"]
    try:
        ecs.get_waiter("tasks_stopped").wait(
            cluster=cluster,
            tasks=[task_arn],
            WaiterConfig={"Delay": _WAIT_DELAY_S, "MaxAttempts": _WAIT_ATTEMPTS},
        )
    except WaiterError as error:
        raise ComponentFailed(BOOTSTRAP, f"task {task_arn} did not stop in time") from error
    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    container = task["containers"][0]
    if container.get("exitCode") != 0:
        reason = container.get("reason") or task.get("stoppedReason") or "see its CloudWatch log"
        raise ComponentFailed(BOOTSTRAP, f"exited with {container.get('exitCode')}: {reason}")
