import string

import pytest

from chirp.infra.provision.local.kafka import _cluster_id
from chirp.stack.schema import sql, tables, topics


def test_migrations_are_numbered_and_ordered():
    found = sql.migration_files()
    versions = [v for v, _ in found]
    assert versions == sorted(versions)
    assert versions[0] == 1


def test_duplicate_migration_versions_are_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="share a version"):
        sql.migration_files(tmp_path)


def test_unnumbered_migration_is_refused(tmp_path):
    (tmp_path / "users.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="must start with a number"):
        sql.migration_files(tmp_path)


def test_tweets_table_has_the_lookup_index():
    spec = tables.TABLE_SPECS[tables.TWEETS]
    assert [k["AttributeName"] for k in spec["KeySchema"]] == ["user_id", "tweet_id"]
    assert spec["GlobalSecondaryIndexes"][0]["IndexName"] == tables.TWEETS_BY_ID


def test_every_consumer_group_has_a_dlq():
    every = topics.all_topics()
    for group in topics.CONSUMER_GROUPS:
        assert f"{group}.dlq" in every
    assert len(every) == len(set(every))


def test_kafka_cluster_id_is_22_url_safe_characters():
    cluster_id = _cluster_id()
    assert len(cluster_id) == 22
    alphabet = string.ascii_letters + string.digits + "-_"
    assert set(cluster_id) <= set(alphabet)
