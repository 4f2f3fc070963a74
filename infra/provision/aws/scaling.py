"""Autoscaling: gateways on average CPU, consumers on their Kafka lag.

A consumer worker scales out by half again when its group's lag passes the
seed's alert level (5,000) and doubles past the critical level (50,000), as
the seed's Kafka-overload scenario prescribes; it scales in by a quarter once
lag has stayed under the target (1,000) for 15 minutes. Lag is MSK's
`SumOffsetLag` for the worker's consumer group on its topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.roles import GATEWAY, WORKERS, Worker
from chirp.infra.provision.aws.sizing import AwsSizing

LAG_METRIC = "SumOffsetLag"
LAG_NAMESPACE = "AWS/Kafka"
SCALE_IN_MINUTES = 15


@dataclass
class AutoscalingArgs:
    """The services to scale and the cluster names their metrics are filed under."""

    sizing: AwsSizing
    ecs_cluster_name: pulumi.Input[str]
    services: Mapping[str, aws.ecs.Service]
    kafka_cluster_name: pulumi.Input[str]


def lag_dimensions(
    kafka_cluster_name: pulumi.Input[str], worker: Worker
) -> dict[str, pulumi.Input[str]]:
    """The CloudWatch dimensions of one consumer group's lag on its topic."""
    return {
        "Cluster Name": kafka_cluster_name,
        "Consumer Group": worker.consumer_group or "",
        "Topic": worker.topic or "",
    }


class Autoscaling(pulumi.ComponentResource):
    """Scalable targets, policies and the lag alarms that drive them."""

    targets: dict[str, aws.appautoscaling.Target]

    def __init__(
        self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Autoscaling", name, None, opts)
        self._name = name
        self._args = args
        sizing = args.sizing
        self.targets = {
            GATEWAY: self._target(GATEWAY, sizing.gateway.min_tasks, sizing.gateway.max_tasks)
        }
        aws.appautoscaling.Policy(
            f"{name}-{GATEWAY}-cpu",
            policy_type="TargetTrackingScaling",
            resource_id=self.targets[GATEWAY].resource_id,
            scalable_dimension=self.targets[GATEWAY].scalable_dimension,
            service_namespace=self.targets[GATEWAY].service_namespace,
            target_tracking_scaling_policy_configuration=(
                aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=sizing.gateway.cpu_target_percent,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="ECSServiceAverageCPUUtilization"
                    ),
                    scale_out_cooldown=60,
                    scale_in_cooldown=300,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for worker in WORKERS:
            if worker.topic is None:
                continue
            bounds = sizing.workers[worker.name]
            self.targets[worker.name] = self._target(
                worker.name, bounds.min_tasks, sizing.worker_max_tasks(worker.name)
            )
            self._lag_scaling(worker)
        self.register_outputs({})

    def _target(self, role: str, low: int, high: int) -> aws.appautoscaling.Target:
        service = self._args.services[role]
        return aws.appautoscaling.Target(
            f"{self._name}-{role}",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat(
                "service/", self._args.ecs_cluster_name, "/", service.name
            ),
            min_capacity=low,
            max_capacity=high,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _lag_scaling(self, worker: Worker) -> None:
        child = pulumi.ResourceOptions(parent=self)
        target = self.targets[worker.name]
        alarms = self._args.sizing.alarms
        step = aws.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustmentArgs
        # Step bounds are relative to the alarm's threshold (lag_alert).
        to_critical = float(alarms.lag_critical - alarms.lag_alert)
        scale_out = self._step_policy(
            worker,
            "out",
            target,
            cooldown=60,
            steps=[
                step(
                    scaling_adjustment=50,
                    metric_interval_lower_bound="0",
                    metric_interval_upper_bound=str(to_critical),
                ),
                step(scaling_adjustment=100, metric_interval_lower_bound=str(to_critical)),
            ],
        )
        scale_in = self._step_policy(
            worker,
            "in",
            target,
            cooldown=300,
            steps=[step(scaling_adjustment=-25, metric_interval_upper_bound="0")],
        )
        dimensions = lag_dimensions(self._args.kafka_cluster_name, worker)
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{worker.name}-lag-high",
            alarm_description=f"{worker.name}: lag above {alarms.lag_alert}; add workers",
            namespace=LAG_NAMESPACE,
            metric_name=LAG_METRIC,
            dimensions=dimensions,
            statistic="Maximum",
            period=60,
            evaluation_periods=2,
            comparison_operator="GreaterThanThreshold",
            threshold=float(alarms.lag_alert),
            treat_missing_data="notBreaching",
            alarm_actions=[scale_out.arn],
            opts=child,
        )
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{worker.name}-lag-low",
            alarm_description=f"{worker.name}: lag under {alarms.lag_target}; remove workers",
            namespace=LAG_NAMESPACE,
            metric_name=LAG_METRIC,
            dimensions=dimensions,
            statistic="Maximum",
            period=60,
            evaluation_periods=SCALE_IN_MINUTES,
            comparison_operator="LessThanThreshold",
            threshold=float(alarms.lag_target),
            # No lag reported means an idle group: as good as caught up.
            treat_missing_data="breaching",
            alarm_actions=[scale_in.arn],
            opts=child,
        )

    def _step_policy(
        self,
        worker: Worker,
        direction: str,
        target: aws.appautoscaling.Target,
        cooldown: int,
        steps: list[aws.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustmentArgs],
    ) -> aws.appautoscaling.Policy:
        return aws.appautoscaling.Policy(
            f"{self._name}-{worker.name}-lag-{direction}",
            policy_type="StepScaling",
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            service_namespace=target.service_namespace,
            step_scaling_policy_configuration=(
                aws.appautoscaling.PolicyStepScalingPolicyConfigurationArgs(
                    adjustment_type="PercentChangeInCapacity",
                    min_adjustment_magnitude=1,
                    metric_aggregation_type="Maximum",
                    cooldown=cooldown,
                    step_adjustments=steps,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
