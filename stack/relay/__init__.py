"""The relay: publishes to Kafka exactly what the stores of record acknowledged.

Tweets, retweets, edits, deletes and likes come from the DynamoDB Streams of the
`tweets` and `engagements` tables; follows and sign-ups from PostgreSQL's
transactional outbox. A write the API acknowledged is in one of those two, so
it reaches Kafka even when Kafka was down at the time; the relay just retries.
"""
