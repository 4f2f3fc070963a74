"""Tweets: the write path into DynamoDB, lookups, timelines, likes and retweets."""
