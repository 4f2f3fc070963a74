"""The two IAM roles every chirp task runs with.

The execution role is ECS's own: it pulls the image, writes the logs and reads the
task's secrets into its environment. The task role is what chirp's code runs as:
the AWS SDK's default credential chain finds it, so no task carries keys. Each data
component grants the task role what it needs of it (`Services`: the tables;
`Search`: the domain) and names it in its own resource policy where it has one.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

_ECS_TASKS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


class TaskRoles(pulumi.ComponentResource):
    """The execution role and the task role of the chirp tasks."""

    execution: aws.iam.Role
    task: aws.iam.Role

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chirp:aws:TaskRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.execution = aws.iam.Role(
            f"{name}-execution", assume_role_policy=_ECS_TASKS, opts=child
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution",
            role=self.execution.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=child,
        )
        self.task = aws.iam.Role(f"{name}-task", assume_role_policy=_ECS_TASKS, opts=child)
        self.register_outputs({"task_role_arn": self.task.arn})


def allow(
    name: str,
    role: aws.iam.Role,
    statements: list[tuple[list[str], list[pulumi.Input[str]]]],
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """An inline policy on `role`: each (actions, resources) pair one Allow statement."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": resources}
            for actions, resources in statements
        ],
    }
    return aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=pulumi.Output.json_dumps(document),
        opts=pulumi.ResourceOptions(parent=parent),
    )
