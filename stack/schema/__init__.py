"""The stack's storage schema: SQL migrations, DynamoDB tables, Kafka topics, OpenSearch indices."""
