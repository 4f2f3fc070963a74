"""Node ids leased from DynamoDB, so that processes on any number of hosts mint unique ids.

A tweet or user id carries the node id of the process that made it (`stack.ids`), so
two processes with one node id can make the same id. A process started with
CHIRP_NODE_ID uses that id (the local and compose providers number their processes).
Any other process leases one from the `node_leases` table as it opens its clients:

    claim    a conditional put on a free id: absent, expired, or already this holder's
             (in the background at start, again whenever the lease is lost, and by a
             request that needs an id while none is held, at most once a second)
    renew    every ttl/3 in the background, conditional on still being the holder
    release  on close, conditional on still being the holder

A lease is valid for the holder until `ttl - margin` after the renewal *started*, by
its own monotonic clock; the store frees the id `ttl` after that start, by the
holder's wall clock. So a holder has stopped minting before another process can take
its id, as long as the hosts' clocks agree within the margin. Without a valid lease
`next_id` raises `NoNodeLease` (the gateway answers 503) instead of guessing.

The store's calls take `now` explicitly: the lease rules are tested with chosen clocks.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chirp.core.errors import ConfigError, NoNodeLease
from chirp.core.settings import Settings
from chirp.stack.ids import MAX_NODE, IdGenerator, IdSource
from chirp.stack.schema.tables import NODE_LEASES

log = logging.getLogger(__name__)

_MARGIN_SHARE = 0.2
"""Of the ttl, how long before the store's expiry the holder stops minting: covers the
renewal's round trip and clock skew between hosts."""
_CLAIM_EVERY_S = 1.0
"""Without a lease, at most one claim attempt per second; requests in between get 503."""


@dataclass(frozen=True)
class Lease:
    node_id: int
    holder: str
    expires_at: float
    """Epoch seconds, by the holder's clock at the start of its last claim or renewal."""


class NodeLeaseStore:
    """The `node_leases` table: one item per node id ever leased."""

    def __init__(self, dynamo: Any, first: int, last: int, table: str = NODE_LEASES) -> None:
        if not 0 <= first <= last <= MAX_NODE:
            raise ConfigError(
                f"node lease range {first}..{last} must lie within 0..{MAX_NODE}, first <= last; "
                "fix CHIRP_NODE_LEASE_FIRST and CHIRP_NODE_LEASE_LAST"
            )
        self._dynamo = dynamo
        self._table = table
        self._ids = range(first, last + 1)

    def claim(self, holder: str, *, now: float, ttl_s: float) -> Lease | None:
        """Lease a free id (never held, expired, or already `holder`'s); None: all are held."""
        held = self.held_at(now)
        free = [node for node in self._ids if held.get(node, holder) == holder]
        random.shuffle(free)  # processes starting together try different ids first
        for node in free:
            lease = Lease(node, holder, now + ttl_s)
            if self._put_if_free(lease, now):
                return lease
        return None

    def renew(self, lease: Lease, *, now: float, ttl_s: float) -> Lease | None:
        """Extend `lease` from `now`; None when another holder has taken the id."""
        renewed = Lease(lease.node_id, lease.holder, now + ttl_s)
        try:
            self._dynamo.update_item(
                TableName=self._table,
                Key={"node_id": {"N": str(lease.node_id)}},
                UpdateExpression="SET expires_at = :expires",
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={
                    ":expires": {"N": _number(renewed.expires_at)},
                    ":holder": {"S": lease.holder},
                },
            )
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise
        return renewed

    def release(self, lease: Lease) -> None:
        """Free the id at once, unless another holder has it by now."""
        try:
            self._dynamo.delete_item(
                TableName=self._table,
                Key={"node_id": {"N": str(lease.node_id)}},
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": lease.holder}},
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise

    def held_at(self, now: float) -> dict[int, str]:
        """Node id → holder, for the unexpired leases in this store's range."""
        held: dict[int, str] = {}
        pages = self._dynamo.get_paginator("scan").paginate(
            TableName=self._table, ConsistentRead=True
        )
        for page in pages:
            for item in page["Items"]:
                node = int(item["node_id"]["N"])
                if node in self._ids and float(item["expires_at"]["N"]) > now:
                    held[node] = item["holder"]["S"]
        return held

    def _put_if_free(self, lease: Lease, now: float) -> bool:
        try:
            self._dynamo.put_item(
                TableName=self._table,
                Item={
                    "node_id": {"N": str(lease.node_id)},
                    "holder": {"S": lease.holder},
                    "expires_at": {"N": _number(lease.expires_at)},
                },
                ConditionExpression=(
                    "attribute_not_exists(node_id) OR expires_at <= :now OR holder = :holder"
                ),
                ExpressionAttributeValues={
                    ":now": {"N": _number(now)},
                    ":holder": {"S": lease.holder},
                },
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True


class LeasedIds:
    """An id source that mints only under a valid lease, claimed and renewed in the
    background from `start()` until `close()`."""

    def __init__(
        self,
        store: NodeLeaseStore,
        ttl_s: float,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.holder = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"
        self._store = store
        self._ttl_s = ttl_s
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._lease: Lease | None = None
        self._ids: IdGenerator | None = None
        self._valid_until = float("-inf")
        self._last_claim = float("-inf")
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def node_id(self) -> int | None:
        """The leased id while the lease is valid; None otherwise."""
        with self._lock:
            return self._lease.node_id if self._valid() and self._lease else None

    def next_id(self) -> int:
        with self._lock:
            if not self._valid():
                self._claim()
            if self._ids is None or self._lease is None or not self._valid():
                raise NoNodeLease(
                    "this process holds no node id lease, so it cannot make ids; retry later"
                )
            return self._ids.next_id()

    def start(self) -> LeasedIds:
        """Claim and keep a lease in the background (without waiting for it)."""
        if self._renewer is None:
            self._renewer = threading.Thread(target=self._keep, name="node-lease", daemon=True)
            self._renewer.start()
        return self

    def close(self) -> None:
        """Stop renewing and free the id for others."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        with self._lock:
            lease, self._lease, self._valid_until = self._lease, None, float("-inf")
        if lease is not None:
            try:
                self._store.release(lease)
            except (BotoCoreError, ClientError) as error:
                log.warning("node id %d not released (it expires): %s", lease.node_id, error)

    def _valid(self) -> bool:
        return self._monotonic() < self._valid_until

    def _claim(self) -> None:
        """Under the lock: try for a lease, at most once per `_CLAIM_EVERY_S`."""
        started = self._monotonic()
        if started - self._last_claim < _CLAIM_EVERY_S:
            return
        self._last_claim = started
        try:
            lease = self._store.claim(self.holder, now=self._wall(), ttl_s=self._ttl_s)
        except (BotoCoreError, ClientError) as error:
            log.warning("node id lease not claimed: %s", error)
            return
        if lease is None:
            log.warning("every node id in the lease range is held; writes answer 503")
            return
        # The same id again keeps its generator: ids stay increasing within each millisecond.
        if self._ids is None or self._ids.node != lease.node_id:
            self._ids = IdGenerator(lease.node_id)
            log.info("leased node id %d", lease.node_id)
        self._hold(lease, started)

    def _hold(self, lease: Lease, started: float) -> None:
        self._lease = lease
        self._valid_until = started + self._ttl_s * (1 - _MARGIN_SHARE)

    def _keep(self) -> None:
        """Claim until a lease is held, then renew it every ttl/3; claim again if lost."""
        while not self._stop.is_set():
            with self._lock:
                lease = self._lease
                if lease is None:
                    self._claim()
            if lease is not None:
                self.renew_once(lease)
            self._stop.wait(self._ttl_s / 3 if self._lease is not None else _CLAIM_EVERY_S)

    def renew_once(self, lease: Lease) -> None:
        """One renewal of `lease`: extended, lost (another holder has the id), or left to
        expire when the store does not answer."""
        started = self._monotonic()
        try:
            renewed = self._store.renew(lease, now=self._wall(), ttl_s=self._ttl_s)
        except (BotoCoreError, ClientError) as error:
            log.warning("node id %d lease not renewed: %s", lease.node_id, error)
            return
        with self._lock:
            if self._lease != lease:
                return  # released or replaced meanwhile
            if renewed is None:
                log.warning("node id %d lease lost to another process", lease.node_id)
                self._lease, self._valid_until = None, float("-inf")
                return
            self._hold(renewed, started)


def node_ids(settings: Settings, dynamo: Any) -> IdSource:
    """CHIRP_NODE_ID's fixed id when it is set; otherwise a lease from `node_leases`."""
    if "node_id" in settings.model_fields_set:
        return IdGenerator(settings.node_id)
    store = NodeLeaseStore(dynamo, settings.node_lease_first, settings.node_lease_last)
    return LeasedIds(store, settings.node_lease_ttl_s).start()


def _condition_failed(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


def _number(value: float) -> str:
    return str(Decimal(str(round(value, 3))))
