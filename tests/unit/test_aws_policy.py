"""Rules every AWS deployment keeps, checked over every resource the program registers.

A change that adds a resource or a variable is held to the same rules: no static keys
and no secrets in task definitions, TLS on every hop, point-in-time recovery on every
table, protected databases, no `*` principal, and nothing open to the internet but the
load balancer's listener ports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.infra.provision.aws import automation
from chirp.infra.provision.aws.program import SECRET_NAME
from chirp.infra.provision.aws.sizing import AwsSizing
from chirp.stack.schema.tables import TABLE_SPECS
from tests.unit.pulumi_mocks import CERTIFICATE, SETTINGS, Deployed, deploy

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ANYWHERE = "0.0.0.0/0"
TASK_ROLE_ARN = "arn:aws:iam:eu-west-1:123456789012:chirp-roles-task"

# Every ingress rule of the stack: (security group, port, source). Nothing else may exist.
INGRESS_TABLE = {
    ("alb", 443, ANYWHERE),
    ("alb", 80, ANYWHERE),  # redirects to 443 (see the listener test)
    ("gateways", 8101, "alb"),
    ("gateways", 9100, "monitoring"),
    ("workers", 9100, "monitoring"),
    ("kafka", 9096, "gateways"),
    ("kafka", 9096, "workers"),
    ("redis", 6379, "gateways"),
    ("redis", 6379, "workers"),
    ("postgres", 5432, "gateways"),
    ("postgres", 5432, "workers"),
    ("search", 443, "gateways"),
    ("search", 443, "workers"),
}
SECRETS = {"PGPASSWORD", "CHIRP_REDIS_AUTH_TOKEN", "CHIRP_KAFKA_SASL_PASSWORD"}


@pytest.fixture(scope="module")
def deployed() -> Deployed:
    # Local settings that hold secrets: none of them may reach a task definition.
    local = SETTINGS.model_copy(
        update={"kafka_sasl_password": "local-kafka-secret", "redis_auth_token": "local-token"}
    )
    return deploy(AwsSizing(region="eu-west-1", certificate_arn=CERTIFICATE), local)


def _containers(stack: Deployed) -> Iterator[dict[str, Any]]:
    for definition in stack.of_type(TASK_DEFINITION):
        yield from json.loads(definition["containerDefinitions"])


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["environment"]}


def _group(security_group_id: str) -> str:
    return security_group_id.removeprefix("chirp-net-").removesuffix("-id")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _policies(stack: Deployed) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON policy document anywhere in any resource's inputs."""
    for resource in stack.resources:
        for text in _strings(resource.inputs):
            if '"Statement"' in text:
                yield resource.name, json.loads(text)


# --- credentials and secrets ---------------------------------------------------------------


def test_no_task_carries_keys_or_secrets_and_each_uses_the_credential_chain(deployed):
    containers = list(_containers(deployed))
    assert len(containers) == 9  # gateway, relay, six consumers, bootstrap
    for container in containers:
        env = _env(container)
        leaked = [name for name in env if SECRET_NAME.search(name)]
        assert not leaked, f"{container['name']}: {leaked} in the environment"
        assert not any("local-kafka-secret" in v or "local-token" in v for v in env.values())
        assert {s["name"] for s in container["secrets"]} == SECRETS
        assert all(
            s["valueFrom"].startswith("arn:aws:secretsmanager:") for s in container["secrets"]
        )
        inside = Settings.model_validate(
            {k.removeprefix("CHIRP_").lower(): v for k, v in env.items() if k.startswith("CHIRP_")}
        )
        # Off DynamoDB Local: no fixed keys, the task role through the default chain.
        assert inside.dynamodb_local is False
        assert inside.aws_region == "eu-west-1" == env["AWS_REGION"]
        assert "CHIRP_NODE_ID" not in env  # every task leases its node id
    for resource in deployed.resources:
        keys = {k.lower() for k in resource.inputs}
        assert not keys & {"accesskey", "secretkey", "aws_access_key_id"}, resource.name


def test_every_secret_is_readable_by_the_execution_role_only(deployed):
    (policy,) = [p for name, p in _policies(deployed) if name == "chirp-app-secrets"]
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert actions == {"secretsmanager:GetSecretValue", "kms:Decrypt"}
    (secrets,) = [
        s for s in policy["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"]
    ]
    assert len(secrets["Resource"]) == len(SECRETS)


# --- TLS on every hop ------------------------------------------------------------------------


def test_clients_reach_every_data_service_over_tls(deployed):
    for container in _containers(deployed):
        env = _env(container)
        assert env["CHIRP_OPENSEARCH_SCHEME"] == "https"
        assert env["CHIRP_OPENSEARCH_AWS_SIGV4"] == "true"
        assert env["CHIRP_REDIS_TLS"] == "true"
        assert env["CHIRP_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["PGSSLMODE"] == "require"


def test_every_data_service_refuses_plaintext(deployed):
    redis = deployed.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert redis["transitEncryptionEnabled"] is True and redis["authToken"]
    msk = deployed.one("aws:msk/cluster:Cluster")
    transit = msk["encryptionInfo"]["encryptionInTransit"]
    assert (transit["clientBroker"], transit["inCluster"]) == ("TLS", True)
    assert msk["clientAuthentication"] == {"sasl": {"scram": True}, "unauthenticated": False}
    association = deployed.one("aws:msk/scramSecretAssociation:ScramSecretAssociation")
    assert association["clusterArn"].endswith("chirp-kafka-cluster")
    domain = deployed.one("aws:opensearch/domain:Domain")
    assert domain["domainEndpointOptions"]["enforceHttps"] is True
    assert domain["nodeToNodeEncryption"]["enabled"] is True
    parameters = deployed.one("aws:rds/parameterGroup:ParameterGroup")["parameters"]
    assert [(p["name"], p["value"]) for p in parameters] == [("rds.force_ssl", "1")]
    for instance in deployed.of_type("aws:rds/instance:Instance"):
        assert instance["parameterGroupName"] == "chirp-postgres-params"


def test_the_public_listener_is_https_and_plain_http_only_redirects(deployed):
    listeners = {each["port"]: each for each in deployed.of_type("aws:lb/listener:Listener")}
    assert set(listeners) == {80, 443}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["certificateArn"]
    (action,) = listeners[80]["defaultActions"]
    assert action["type"] == "redirect" and action["redirect"]["protocol"] == "HTTPS"


def test_a_plain_http_listener_is_refused_unless_asked_for_by_name():
    with pytest.raises(ConfigError) as refused:
        deploy(AwsSizing(region="eu-west-1"))
    assert "certificate_arn" in str(refused.value) and "allow_plain_http" in str(refused.value)
    assert "\n" not in str(refused.value)

    plain = deploy(AwsSizing(region="eu-west-1", allow_plain_http=True))
    (listener,) = plain.of_type("aws:lb/listener:Listener")
    assert (listener["port"], listener["defaultActions"][0]["type"]) == (80, "forward")
    public = {(_group(r["securityGroupId"]), r["fromPort"]) for r in plain.of_type(INGRESS)
              if r.get("cidrIpv4") == ANYWHERE}  # fmt: skip
    assert public == {("alb", 80)}


def test_up_refuses_plain_http_before_touching_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(automation, "require_prerequisites", lambda: None)
    opened: list[object] = []
    monkeypatch.setattr(automation, "open_stack", lambda *args: opened.append(args))
    with pytest.raises(ConfigError, match="allow_plain_http"):
        automation.aws_up(Settings(run_dir=tmp_path), Console(file=None, quiet=True), yes=True)
    assert opened == []


# --- data safety -------------------------------------------------------------------------------


def test_every_table_has_point_in_time_recovery(deployed):
    tables = deployed.of_type("aws:dynamodb/table:Table")
    assert {t["name"] for t in tables} == set(TABLE_SPECS)
    for table in tables:
        assert table["pointInTimeRecovery"] == {"enabled": True}, table["name"]
        assert table["serverSideEncryption"] == {"enabled": True}, table["name"]


def test_databases_are_protected_and_the_primary_leaves_a_final_snapshot(deployed):
    instances = deployed.of_type("aws:rds/instance:Instance")
    assert all(i["deletionProtection"] is True for i in instances)
    primary = deployed.named("aws:rds/instance:Instance", "chirp-postgres-primary")
    assert primary["skipFinalSnapshot"] is False
    assert primary["finalSnapshotIdentifier"] == "chirp-test-final-0a1b2c3d"
    assert primary["backupRetentionPeriod"] >= 7
    assert primary["storageEncrypted"] is True


# --- who may do what ------------------------------------------------------------------------


def test_no_policy_admits_any_principal(deployed):
    documents = list(_policies(deployed))
    assert len(documents) >= 5
    for name, document in documents:
        for statement in document["Statement"]:
            principal = statement.get("Principal")
            values = list(_strings(principal)) if principal is not None else []
            assert "*" not in values, f"{name} admits any principal: {statement}"


def test_only_the_task_role_may_use_the_search_domain(deployed):
    policy = json.loads(deployed.one("aws:opensearch/domainPolicy:DomainPolicy")["accessPolicies"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": [TASK_ROLE_ARN]}
    granted = [p for name, p in _policies(deployed) if name == "chirp-search-http"]
    assert granted and granted[0]["Statement"][0]["Action"] == ["es:ESHttp*"]


def test_the_task_role_reaches_every_table_and_lists_them(deployed):
    (policy,) = [p for name, p in _policies(deployed) if name == "chirp-app-tables"]
    tables, listing = policy["Statement"]
    named = {r.rsplit(":", 1)[1] for r in tables["Resource"] if not r.endswith("*")}
    assert named == {
        f"chirp-tables-{t}" for t in ("tweets", "engagements", "idempotency", "media")
    } | {"chirp-tables-node-leases"}
    assert listing == {"Effect": "Allow", "Action": ["dynamodb:ListTables"], "Resource": ["*"]}


def test_the_task_role_may_invalidate_the_one_distribution_and_nothing_else_of_cloudfront(
    deployed,
):
    distribution = "arn:aws:cloudfront:eu-west-1:123456789012:chirp-edge-cdn"
    (policy,) = [p for name, p in _policies(deployed) if name == "chirp-app-purge"]
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["cloudfront:CreateInvalidation"], "Resource": [distribution]}
    ]
    (role_policy,) = [
        r for r in deployed.of_type("aws:iam/rolePolicy:RolePolicy") if "cloudfront" in r["policy"]
    ]
    assert role_policy["role"] == "chirp-roles-task-id"
    granted = [
        (name, action)
        for name, document in _policies(deployed)
        for statement in document["Statement"]
        for action in statement["Action"]
        if str(action).startswith("cloudfront:")
    ]
    assert granted == [("chirp-app-purge", "cloudfront:CreateInvalidation")]


def test_the_task_role_puts_and_deletes_media_objects_of_the_bucket_only(deployed):
    bucket = "arn:aws:s3:eu-west-1:123456789012:chirp-edge-media"
    (policy,) = [p for name, p in _policies(deployed) if name == "chirp-app-media"]
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{bucket}/*"],
        }
    ]
    granted = {
        action
        for _, document in _policies(deployed)
        for statement in document["Statement"]
        if statement.get("Principal") is None  # identity policies, not the bucket's own
        for action in statement["Action"]
        if str(action).startswith("s3:")
    }
    assert granted == {"s3:PutObject", "s3:DeleteObject"}


def test_every_ingress_rule_is_in_the_table_and_the_internet_reaches_only_the_alb(deployed):
    rules = deployed.of_type(INGRESS)
    found = {
        (
            _group(r["securityGroupId"]),
            r["fromPort"],
            r.get("cidrIpv4") or _group(r["referencedSecurityGroupId"]),
        )
        for r in rules
    }
    assert len(found) == len(rules)
    assert found == INGRESS_TABLE
    assert all(r["fromPort"] == r["toPort"] and r["ipProtocol"] == "tcp" for r in rules)
    for group in deployed.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.get("ingress"), "ingress rules are resources of their own"


def test_data_services_open_no_connection_and_tasks_only_what_they_use(deployed):
    egress = {
        (
            _group(r["securityGroupId"]),
            r["fromPort"],
            r.get("cidrIpv4") or _group(r["referencedSecurityGroupId"]),
        )
        for r in deployed.of_type(EGRESS)
    }
    assert {group for group, _, _ in egress} == {"alb", "gateways", "workers", "monitoring"}
    assert {(port, peer) for group, port, peer in egress if group == "alb"} == {(8101, "gateways")}
    wide = {(group, port) for group, port, peer in egress if peer == ANYWHERE}
    assert wide == {("gateways", 443), ("workers", 443), ("monitoring", 443)}


def test_metrics_never_leave_through_the_load_balancer(deployed):
    (rule,) = [
        r
        for r in deployed.of_type("aws:lb/listenerRule:ListenerRule")
        if r["actions"][0]["type"] == "fixed-response"
    ]
    assert rule["priority"] == 1
    assert rule["conditions"] == [{"pathPattern": {"values": ["/metrics", "/metrics/*"]}}]
    assert rule["actions"][0]["fixedResponse"]["statusCode"] == "404"
    assert rule["listenerArn"].endswith("chirp-app-https")
    for container in _containers(deployed):
        ports = {m["containerPort"] for m in container.get("portMappings", [])}
        assert ports <= {8101, 9100}
        if container["name"] == "gateway":
            assert _env(container)["CHIRP_METRICS_PORT"] == "9100" and ports == {8101, 9100}


def test_no_region_is_written_into_the_program():
    text = "".join(
        p.read_text() for p in Path("infra/provision/aws").glob("*.py") if p.name != "sizing.py"
    )
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", text)
