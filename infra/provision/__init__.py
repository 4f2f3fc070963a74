"""Where chirp runs: this machine, Docker Compose, or AWS through Pulumi."""
