"""Users and the follow graph, stored in PostgreSQL."""
