"""`chirp seed`: a synthetic social graph and tweet history, bulk-loaded.

The bulk path writes what the write path would have produced: users and
follows by PostgreSQL COPY, tweets by DynamoDB BatchWriteItem, search documents
by the indexer's own bulk actions, and feeds by the fan-out's own timeline
code with the same tiers. Seeded tweet items are marked so the stream relay
does not publish them a second time.
"""

from chirp.stack.seed.graph import GraphSpec, SeedGraph, generate
from chirp.stack.seed.load import SeedReport, seed

__all__ = ["GraphSpec", "SeedGraph", "SeedReport", "generate", "seed"]
