"""Bearer tokens: issued at sign-up or rotation, stored only as a SHA-256 hash with the
time of issue, refused `token_ttl_days` after it, and refused at once when rotated.

`resolve` finds a token's user, cheapest first, in one Redis round trip:

1. the grant cache `auth:{hash}`: the user id and the grant's expiry. An in-process
   cache may sit in front of it, keeping the expiry with the grant and dropping a grant
   when its hash is published on `REVOKED_CHANNEL`;
2. a rotated token's revocation mark `auth:revoked:{hash}`: refused, nothing looked up;
3. the caller's address past its budget of unknown tokens: 429, nothing looked up;
4. PostgreSQL: a replica, else the primary for a token the replica does not know yet (a
   sign-up a moment ago) or whose user rotated a token in the read-your-writes window.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import redis
from prometheus_client import Counter

from chirp.stack.gateway import clientip
from chirp.stack.gateway.errors import ApiError
from chirp.stack.resources import Resources
from chirp.stack.users import reads
from chirp.stack.users import store as user_store

log = logging.getLogger(__name__)

REVOKED_CHANNEL = "auth:revoked"
"""Redis channel on which a rotation publishes the retired token's hash."""
LOOKUPS = Counter(
    "chirp_auth_lookups_total", "Token lookups in PostgreSQL, by the server asked", ["store"]
)

_CACHE_TTL_S = 3600
_EXPIRED_KEPT_S = 300
# SET the grant unless the token was revoked meanwhile (a rotation on another gateway
# between this gateway's read and its write).
_REMEMBER = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token grants: acting as `user_id` until `expires_at`."""

    user_id: int
    expires_at: datetime

    def encode(self) -> str:
        return f"{self.user_id}:{int(self.expires_at.timestamp())}"

    @classmethod
    def decode(cls, raw: str) -> TokenGrant | None:
        user_id, _, expires = raw.partition(":")
        if not (user_id.isdigit() and expires.isdigit()):
            return None  # a cache entry of another shape: look the token up again
        return cls(int(user_id), datetime.fromtimestamp(int(expires), UTC))


def issue_token() -> tuple[str, str]:
    """A new token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grant_for(res: Resources, user_id: int, issued_at: datetime) -> TokenGrant:
    return TokenGrant(user_id, issued_at + timedelta(days=res.settings.token_ttl_days))


def _grant_key(token_hash: str) -> str:
    return f"auth:{token_hash}"


def _revoked_key(token_hash: str) -> str:
    return f"auth:revoked:{token_hash}"


def resolve(res: Resources, token: str, address: str) -> TokenGrant:
    """The grant of a valid, unexpired token; a 401 otherwise, or a 429 when `address`
    presented too many unknown tokens lately."""
    token_hash = hash_token(token)
    budget = res.settings.ip_auth_failures
    failures_key = clientip.key(clientip.AUTH_FAILURES, address)
    try:
        cached, revoked, failures = res.redis.mget(
            [_grant_key(token_hash), _revoked_key(token_hash), failures_key]
        )
    except redis.RedisError:
        cached = revoked = failures = None
    grant = TokenGrant.decode(cached) if cached else None
    if grant is None and not revoked:
        if failures is not None and int(failures) >= budget:
            raise clientip.refuse(
                res.redis, clientip.AUTH_FAILURES, address, budget, "unknown tokens"
            )
        grant = _stored_grant(res, token_hash)
        if grant is not None:
            _remember(res, token_hash, grant)
    if grant is None or revoked:
        _refused(res, address)
        raise _unauthorized("invalid token")
    if grant.expires_at <= datetime.now(UTC):
        _refused(res, address)
        raise _unauthorized("token expired; sign up again or rotate tokens before they expire")
    return grant


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def _refused(res: Resources, address: str) -> None:
    clientip.count(res.redis, res.settings, clientip.AUTH_FAILURES, address)


def _stored_grant(res: Resources, token_hash: str) -> TokenGrant | None:
    """Asked of a replica first, so requests authenticate while there is no primary."""

    def query(conn: psycopg.Connection) -> tuple[int, datetime] | None:
        return user_store.token_owner(conn, token_hash)

    found = reads.read(res, (), query)
    LOOKUPS.labels("replica" if res.pg_read is not res.pg else "primary").inc()
    stale = found is not None and reads.written_lately(res, found[0])
    if res.pg_read is not res.pg and (found is None or stale):
        LOOKUPS.labels("primary").inc()
        with res.pg.connection() as conn:
            found = query(conn)
    return None if found is None else grant_for(res, *found)


def remember(res: Resources, token: str, grant: TokenGrant) -> None:
    """Cache `grant` for `token` (a token issued just now answers without a lookup)."""
    _remember(res, hash_token(token), grant)


def _remember(res: Resources, token_hash: str, grant: TokenGrant) -> None:
    left_s = int((grant.expires_at - datetime.now(UTC)).total_seconds())
    # An expired grant is worth keeping a while too: it answers 401 without a lookup.
    ttl_s = min(_CACHE_TTL_S, left_s) if left_s > 0 else _EXPIRED_KEPT_S
    with contextlib.suppress(redis.RedisError):
        res.redis.eval(
            _REMEMBER,
            2,
            _grant_key(token_hash),
            _revoked_key(token_hash),
            grant.encode(),
            ttl_s,
        )


def forget(res: Resources, token: str) -> None:
    """Drop the cached grant of `token`; the next request looks it up again."""
    with contextlib.suppress(redis.RedisError):
        res.redis.delete(_grant_key(hash_token(token)))


def rotate(res: Resources, user_id: int, old_token: str) -> tuple[str, TokenGrant]:
    """Replace the user's token: the old one is refused from now on, on every gateway."""
    token, token_hash = issue_token()
    old_hash = hash_token(old_token)
    with res.pg_write() as conn:
        issued_at = user_store.replace_token(conn, user_id, old_hash, token_hash)
    if issued_at is None:
        raise ApiError(409, "conflict", "that token was rotated already; use the new one")
    grant = grant_for(res, user_id, issued_at)
    reads.note_write(res, user_id)  # a lagging replica is not believed about this user
    try:
        with res.redis.pipeline(transaction=True) as pipe:
            pipe.set(_revoked_key(old_hash), 1, ex=res.settings.token_ttl_days * 86_400)
            pipe.delete(_grant_key(old_hash))
            pipe.publish(REVOKED_CHANNEL, old_hash)
            pipe.execute()
    except redis.RedisError as error:
        # The grant cache could still answer for the old token: say so loudly.
        log.error("revocation of a rotated token not recorded in Redis: %s", error)
    _remember(res, token_hash, grant)
    return token, grant
