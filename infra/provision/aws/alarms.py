"""CloudWatch alarms at the seed's thresholds, notifying one SNS topic.

- write latency p99 above 100 ms (the ALB's writes target group),
- feed read latency p99 above 50 ms (the feed target group),
- error rate above 0.1 % (5xx from targets and the ALB over all requests),
- per consumer group lag above 1,000 (target), 5,000 (alert), 50,000 (critical).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.roles import WORKERS
from chirp.infra.provision.aws.scaling import LAG_METRIC, LAG_NAMESPACE, lag_dimensions
from chirp.infra.provision.aws.sizing import AlarmThresholds

ALB_NAMESPACE = "AWS/ApplicationELB"
LATENCY_EVALUATION_MINUTES = 3


@dataclass
class AlarmsArgs:
    """Thresholds and the metric dimensions they apply to."""

    thresholds: AlarmThresholds
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    kafka_cluster_name: pulumi.Input[str]
    alert_email: str | None = None


class Alarms(pulumi.ComponentResource):
    """The alarm topic and every alarm on the seed's monitoring list."""

    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Alarms", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(f"{name}-topic", opts=child)
        self.topic_arn = topic.arn
        if args.alert_email:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alert_email,
                opts=child,
            )
        limits = args.thresholds
        self._latency("write-p99", args, "writes", limits.write_p99_ms)
        self._latency("feed-read-p99", args, "feed", limits.read_p99_ms)
        self._error_rate(args, limits.error_rate_percent)
        levels = {
            "target": limits.lag_target,
            "alert": limits.lag_alert,
            "critical": limits.lag_critical,
        }
        for worker in WORKERS:
            if worker.topic is None:
                continue
            for level, threshold in levels.items():
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{worker.name}-lag-{level}",
                    alarm_description=(
                        f"{worker.name}: consumer lag on {worker.topic} above {threshold:,} "
                        f"messages ({level})"
                    ),
                    namespace=LAG_NAMESPACE,
                    metric_name=LAG_METRIC,
                    dimensions=lag_dimensions(args.kafka_cluster_name, worker),
                    statistic="Maximum",
                    period=60,
                    evaluation_periods=2,
                    comparison_operator="GreaterThanThreshold",
                    threshold=float(threshold),
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    opts=child,
                )
        self.register_outputs({"topic_arn": self.topic_arn})

    def _latency(
        self, label: str, args: AlarmsArgs, target_group: str, threshold_ms: float
    ) -> None:
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{label}",
            alarm_description=f"{label} latency above {threshold_ms:g} ms",
            namespace=ALB_NAMESPACE,
            metric_name="TargetResponseTime",
            dimensions={
                "LoadBalancer": args.load_balancer_arn_suffix,
                "TargetGroup": args.target_group_arn_suffixes[target_group],
            },
            extended_statistic="p99",
            period=60,
            evaluation_periods=LATENCY_EVALUATION_MINUTES,
            comparison_operator="GreaterThanThreshold",
            # TargetResponseTime is in seconds.
            threshold=threshold_ms / 1000.0,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _error_rate(self, args: AlarmsArgs, threshold_percent: float) -> None:
        query = aws.cloudwatch.MetricAlarmMetricQueryArgs
        metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs
        load_balancer = {"LoadBalancer": args.load_balancer_arn_suffix}

        def count(metric_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return query(
                id=metric_id,
                metric=metric(
                    namespace=ALB_NAMESPACE,
                    metric_name=metric_name,
                    dimensions=load_balancer,
                    stat="Sum",
                    period=60,
                ),
            )

        aws.cloudwatch.MetricAlarm(
            f"{self._name}-error-rate",
            alarm_description=f"5xx responses above {threshold_percent:g} % of requests",
            metric_queries=[
                count("target5xx", "HTTPCode_Target_5XX_Count"),
                count("alb5xx", "HTTPCode_ELB_5XX_Count"),
                count("requests", "RequestCount"),
                query(
                    id="errorrate",
                    expression="100 * (FILL(target5xx, 0) + FILL(alb5xx, 0)) / requests",
                    label="error rate (%)",
                    return_data=True,
                ),
            ],
            evaluation_periods=LATENCY_EVALUATION_MINUTES,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold_percent,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )
