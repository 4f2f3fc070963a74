"""The AWS provider behind the provider seam: the Pulumi program through the Automation API."""

from __future__ import annotations

from rich.console import Console

from chirp.core import runstate
from chirp.core.errors import ProviderLacks
from chirp.core.observe import AlertHistory
from chirp.core.provider import DownReport, StatusCallback, UpReport, UpRequest
from chirp.core.provider_defaults import NoFaults, Unobserved
from chirp.core.settings import Settings
from chirp.core.stackview import Endpoints
from chirp.infra.provision.aws.automation import aws_down, aws_up


class AwsFaults(NoFaults):
    """No drill fault reaches AWS yet (ECS StopTask, ElastiCache TestFailover would)."""

    provider = "aws"


class AwsProvider(Unobserved):
    name = "aws"
    look_instead = "see the ECS console and CloudWatch"

    def __init__(self, settings: Settings, console: Console) -> None:
        self.settings = settings
        self.console = console

    def up(self, request: UpRequest, on_status: StatusCallback) -> UpReport:
        aws_up(self.settings, self.console, request.yes)
        runstate.update(self.settings, provider=self.name)
        return UpReport()

    def down(self, purge: bool, on_status: StatusCallback, yes: bool = False) -> DownReport:
        aws_down(self.settings, self.console, yes)
        return DownReport()

    def endpoints(self) -> Endpoints:
        raise ProviderLacks(self.name, "endpoints here", "`chirp up --provider aws` prints the API")

    def faults(self) -> AwsFaults:
        return AwsFaults(self.settings)

    def alert_history(self, start: float, end: float) -> AlertHistory:
        return AlertHistory(None, None, "the aws provider's alarms are in CloudWatch")
