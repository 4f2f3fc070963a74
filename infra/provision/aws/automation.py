"""`chirp up|down --provider aws`: the Pulumi program run through the Automation API.

Both commands first check what they need (the `pulumi` CLI, AWS credentials,
and for the local state backend a passphrase) and fail with one line before
touching anything. Both preview first and show the preview; `up` then applies
it and runs the bootstrap task, `down` destroys after a confirmation. `up`
refuses a public load balancer without TLS unless the sizing opts into plain
HTTP by name. RDS instances carry deletion protection, so `down`, once
confirmed, first applies the stack with the protection lifted, then destroys.

State lives in `<run dir>/pulumi` (a local file backend) unless
PULUMI_BACKEND_URL names another backend. Sizes come from
`<run dir>/aws-sizing.json` when `chirp simulate capacity` wrote one.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import boto3
from pulumi import automation as auto
from rich.console import Console
from rich.prompt import Confirm
from rich.table import Table

from chirp.core.errors import ComponentFailed, ConfigError, MissingDependency
from chirp.core.settings import Settings
from chirp.infra.provision.aws.bootstrap_task import image_missing, run_bootstrap
from chirp.infra.provision.aws.program import build_program
from chirp.infra.provision.aws.sizing import AwsSizing, default_sizing_file, load_sizing

PROJECT = "chirp"
STACK = "chirp"
_PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
_T = TypeVar("_T")


def aws_up(settings: Settings, console: Console, yes: bool) -> None:
    """Create or update chirp's AWS deployment, then create its schema, topics and indices."""
    require_prerequisites()
    sizing = _sizing(settings, console)
    sizing.require_public_tls()
    stack = open_stack(settings, sizing)
    console.print("[bold]aws:[/] previewing the deployment")
    preview = _pulumi("preview", lambda: stack.preview(on_output=_printer(console), color="never"))
    show_changes(console, preview.change_summary)
    if not yes and not confirm(console, "Apply these changes to your AWS account?"):
        console.print("[bold]aws:[/] nothing changed")
        return
    result = _pulumi("up", lambda: stack.up(on_output=_printer(console), color="never"))
    outputs = {key: value.value for key, value in result.outputs.items()}
    _bootstrap(sizing, outputs, console)
    console.print(f"[bold]aws:[/] API {outputs.get('api_url', '(no address yet)')}")


def aws_down(settings: Settings, console: Console, yes: bool) -> None:
    """Destroy chirp's AWS deployment after showing what goes and asking (unless `yes`)."""
    require_prerequisites()
    sizing = _sizing(settings, console)
    stack = open_stack(settings, sizing)
    console.print("[bold]aws:[/] previewing the teardown")
    preview = _pulumi(
        "preview", lambda: stack.preview_destroy(on_output=_printer(console), color="never")
    )
    show_changes(console, preview.change_summary)
    question = f"Destroy every resource of stack {STACK!r}? Tables, databases and caches go too"
    if not yes and not confirm(console, question):
        console.print("[bold]aws:[/] nothing destroyed")
        return
    if sizing.deletion_protection:
        console.print("[bold]aws:[/] lifting the databases' deletion protection")
        unprotected = open_stack(settings, sizing.model_copy(update={"deletion_protection": False}))
        _pulumi("up", lambda: unprotected.up(on_output=_printer(console), color="never"))
    _pulumi("destroy", lambda: stack.destroy(on_output=_printer(console), color="never"))
    console.print("[bold]aws:[/] stack destroyed")


def require_prerequisites() -> None:
    """Fail with one line naming the first missing prerequisite, before any change."""
    if shutil.which("pulumi") is None:
        raise MissingDependency(
            "the pulumi CLI",
            "curl -fsSL https://get.pulumi.com | sh (see https://www.pulumi.com/docs/install/), "
            "then put ~/.pulumi/bin on PATH",
        )
    if boto3.session.Session().get_credentials() is None:
        raise MissingDependency(
            "AWS credentials",
            "aws configure (or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
        )
    if _local_backend() and not any(os.environ.get(name) for name in _PASSPHRASE_VARIABLES):
        raise MissingDependency(
            "PULUMI_CONFIG_PASSPHRASE (it encrypts secrets in the local Pulumi state)",
            "export PULUMI_CONFIG_PASSPHRASE=<a passphrase you keep>, "
            "or set PULUMI_BACKEND_URL to another backend",
        )


def backend_url(settings: Settings) -> str:
    """The state backend: PULUMI_BACKEND_URL, else a file backend under the run directory."""
    return os.environ.get("PULUMI_BACKEND_URL") or (settings.run_dir.resolve() / "pulumi").as_uri()


def open_stack(settings: Settings, sizing: AwsSizing) -> auto.Stack:
    """Select (or create) the stack with the inline program for this sizing."""
    url = backend_url(settings)
    if url.startswith("file://"):
        Path(url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    project = auto.ProjectSettings(
        name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=url)
    )
    options = auto.LocalWorkspaceOptions(
        project_settings=project,
        secrets_provider="passphrase" if url.startswith("file://") else None,
    )
    return _pulumi(
        "stack select",
        lambda: auto.create_or_select_stack(
            stack_name=STACK,
            project_name=PROJECT,
            program=build_program(sizing, settings),
            opts=options,
        ),
    )


def show_changes(console: Console, change_summary: Mapping[Any, int]) -> None:
    """A table of how many resources each operation touches."""
    table = Table(title="planned changes", show_header=True)
    table.add_column("operation")
    table.add_column("resources", justify="right")
    for operation, count in sorted(change_summary.items(), key=lambda item: str(item[0])):
        name = getattr(operation, "value", operation)
        table.add_row(str(name), str(count))
    console.print(table)


def confirm(console: Console, question: str) -> bool:
    """Ask yes/no on the terminal; without one, refuse rather than guess."""
    if not sys.stdin.isatty():
        raise ConfigError(f"{question.rstrip('?')}: no terminal to ask on; pass --yes to proceed")
    return Confirm.ask(question, console=console, default=False)


def _sizing(settings: Settings, console: Console) -> AwsSizing:
    path = default_sizing_file(settings)
    sizing = load_sizing(path)
    source = str(path) if path.exists() else "the design review's defaults (no sizing file)"
    console.print(f"[bold]aws:[/] sizes from {source}")
    for note in sizing.adjustments():
        console.print(f"[yellow]sizing:[/] {note}")
    return sizing


def _bootstrap(sizing: AwsSizing, outputs: Mapping[str, Any], console: Console) -> None:
    repository = outputs.get("image_repository")
    if repository and image_missing(sizing.region, repository, sizing.image_tag):
        console.print(
            f"[yellow]aws:[/] no chirp image in {repository} yet. Push one, then run "
            f"`chirp up --provider aws` again to start the tasks and create the schema:\n"
            f"  docker build -t {repository}:{sizing.image_tag} . && "
            f"docker push {repository}:{sizing.image_tag}"
        )
        return
    console.print("[bold]aws:[/] creating schema, topics and indices (bootstrap task)")
    run_bootstrap(sizing.region, outputs)


def _pulumi(step: str, action: Callable[[], _T]) -> _T:
    """Run one Pulumi step; its failure becomes one line naming the step."""
    try:
        return action()
    except auto.CommandError as error:
        raise ComponentFailed(f"pulumi {step}", _last_line(str(error))) from error


def _local_backend() -> bool:
    url = os.environ.get("PULUMI_BACKEND_URL")
    return not url or url.startswith("file://")


def _printer(console: Console) -> Callable[[str], None]:
    def emit(line: str) -> None:
        console.print(line.rstrip("\n"), markup=False, highlight=False)

    return emit


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"
