"""Provisioning: local processes, docker compose, Pulumi on AWS, and sizing models."""
