"""chirp's command line: thin Typer commands over infra/, stack/, loadtests/ and scenarios/."""
