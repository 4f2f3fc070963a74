"""`chirp up|down --provider aws` before and around Pulumi: prerequisites, preview, confirmation.

No pulumi CLI and no cloud: PATH and the AWS environment are arranged per test,
and where a run gets past its checks the Pulumi stack is a recording fake.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from rich.console import Console

from chirp.core.errors import ConfigError, MissingDependency
from chirp.core.settings import Settings
from chirp.infra.provision.aws import automation
from chirp.infra.provision.aws.automation import aws_down, aws_up, require_prerequisites
from chirp.infra.provision.aws.sizing import AwsSizing

_AWS_CREDENTIAL_SOURCES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(run_dir=tmp_path / "run")


@pytest.fixture
def console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No pulumi on PATH and no AWS credentials anywhere boto3 looks (the metadata service off)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    for name in _AWS_CREDENTIAL_SOURCES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return bin_dir


def _install_fake_pulumi(bin_dir: Path) -> None:
    pulumi = bin_dir / "pulumi"
    pulumi.write_text("#!/bin/sh\necho fake pulumi must not be run >&2\nexit 99\n")
    pulumi.chmod(0o755)


@pytest.fixture
def ready(bare: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every prerequisite present: a pulumi on PATH, credentials, a passphrase."""
    _install_fake_pulumi(bare)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test passphrase")
    return bare


def _one_line_missing(error: MissingDependency, what: str) -> str:
    message = str(error)
    assert message.startswith(f"{what} is missing; fix with: ")
    assert "\n" not in message
    return message


# --- prerequisites ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [aws_up, aws_down])
def test_without_the_pulumi_cli_nothing_happens(
    bare: Path, settings: Settings, console: Console, command: Any
) -> None:
    with pytest.raises(MissingDependency) as caught:
        command(settings, console, yes=True)
    message = _one_line_missing(caught.value, "the pulumi CLI")
    assert "get.pulumi.com" in message
    assert not settings.run_dir.exists()


@pytest.mark.parametrize("command", [aws_up, aws_down])
def test_without_aws_credentials_nothing_happens(
    bare: Path, settings: Settings, console: Console, command: Any
) -> None:
    _install_fake_pulumi(bare)
    with pytest.raises(MissingDependency) as caught:
        command(settings, console, yes=True)
    message = _one_line_missing(caught.value, "AWS credentials")
    assert "aws configure" in message
    assert not settings.run_dir.exists()


def test_the_cli_is_checked_before_credentials(bare: Path) -> None:
    with pytest.raises(MissingDependency, match=r"^the pulumi CLI"):
        require_prerequisites()


def test_the_local_state_backend_needs_a_passphrase(
    ready: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    with pytest.raises(MissingDependency) as caught:
        aws_up(settings, console, yes=True)
    assert "export PULUMI_CONFIG_PASSPHRASE=" in _one_line_missing(
        caught.value, "PULUMI_CONFIG_PASSPHRASE (it encrypts secrets in the local Pulumi state)"
    )
    assert not settings.run_dir.exists()


def test_a_remote_backend_needs_no_passphrase(
    ready: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://chirp-state")
    require_prerequisites()
    assert automation.backend_url(settings) == "s3://chirp-state"


def test_state_defaults_to_a_file_backend_in_the_run_dir(ready: Path, settings: Settings) -> None:
    assert automation.backend_url(settings) == (settings.run_dir.resolve() / "pulumi").as_uri()


# --- preview, confirmation, then the change -----------------------------------------------


class FakeStack:
    """Records which Pulumi operations ran, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def preview(self, **_: Any) -> auto.PreviewResult:
        self.calls.append("preview")
        return auto.PreviewResult("", "", {auto.OpType.CREATE: 135})

    def up(self, **_: Any) -> auto.UpResult:
        self.calls.append("up")
        outputs = {"api_url": auto.OutputValue("http://chirp.elb.example", False)}
        return auto.UpResult("", "", None, outputs)  # type: ignore[arg-type]

    def preview_destroy(self, **_: Any) -> auto.PreviewResult:
        self.calls.append("preview_destroy")
        return auto.PreviewResult("", "", {auto.OpType.DELETE: 135})

    def destroy(self, **_: Any) -> auto.DestroyResult:
        self.calls.append("destroy")
        return auto.DestroyResult("", "", None)  # type: ignore[arg-type]


@pytest.fixture
def stack(ready: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> FakeStack:
    fake = FakeStack()

    def open_stack(_: Settings, sizing: AwsSizing) -> FakeStack:
        fake.calls.append(f"open (protected: {sizing.deletion_protection})")
        return fake

    monkeypatch.setattr(automation, "open_stack", open_stack)
    monkeypatch.setattr(automation, "run_bootstrap", lambda region, outputs: None)
    # The one key a deployable sizing needs beside the seed's sizes: TLS at the edge.
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "aws-sizing.json").write_text(
        json.dumps({"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x"})
    )
    return fake


def _answer(monkeypatch: pytest.MonkeyPatch, answer: bool) -> list[str]:
    asked: list[str] = []

    def confirm(console: Console, question: str) -> bool:
        asked.append(question)
        return answer

    monkeypatch.setattr(automation, "confirm", confirm)
    return asked


def test_down_shows_the_preview_and_stops_when_declined(
    stack: FakeStack, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    asked = _answer(monkeypatch, False)
    aws_down(settings, console, yes=False)
    assert stack.calls == ["open (protected: True)", "preview_destroy"]
    assert len(asked) == 1 and "Destroy" in asked[0]
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "planned changes" in shown and "delete" in shown and "135" in shown
    assert "nothing destroyed" in shown


def test_down_destroys_after_the_preview_when_confirmed(
    stack: FakeStack, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    _answer(monkeypatch, True)
    aws_down(settings, console, yes=False)
    # The databases' deletion protection is lifted (an update) only once confirmed.
    assert stack.calls == [
        "open (protected: True)",
        "preview_destroy",
        "open (protected: False)",
        "up",
        "destroy",
    ]
    assert "lifting the databases' deletion protection" in console.file.getvalue()  # type: ignore[attr-defined]


def test_down_with_yes_asks_nothing(
    stack: FakeStack, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    asked = _answer(monkeypatch, False)
    aws_down(settings, console, yes=True)
    assert asked == []
    assert stack.calls[-3:] == ["open (protected: False)", "up", "destroy"]


def test_up_previews_first_then_applies_and_prints_the_api(
    stack: FakeStack, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    asked = _answer(monkeypatch, True)
    aws_up(settings, console, yes=False)
    assert stack.calls == ["open (protected: True)", "preview", "up"]
    assert len(asked) == 1
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "create" in shown and "http://chirp.elb.example" in shown
    # Sizes came from the file (the seed's beside its one key), adjustments said out loud.
    assert "aws-sizing.json" in shown and "rounded up to 12" in shown


def test_up_declined_changes_nothing(
    stack: FakeStack, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    _answer(monkeypatch, False)
    aws_up(settings, console, yes=False)
    assert stack.calls == ["open (protected: True)", "preview"]


def test_without_a_terminal_confirmation_asks_for_yes(
    monkeypatch: pytest.MonkeyPatch, console: Console
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(ConfigError, match="pass --yes"):
        automation.confirm(console, "Destroy everything?")
