"""The Lua scripts the timeline store runs in Redis, each one atomic on the keys it names."""

# KEYS: feed and rt key of each feed in turn. ARGV: member, score, original member or "",
# original id or "", feed max, ttl seconds, "1" to touch only existing feeds, the ready marker.
# Returns how many feeds got the entry. One call serves many feeds: far fewer commands for
# the client to pack than one per feed, which is what bounds fan-out throughput.
ADD = """
local member, original, original_id = ARGV[1], ARGV[3], ARGV[4]
local max, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])

local function add(feed, rt)
  local existed = redis.call('EXISTS', feed) == 1
  if ARGV[7] == '1' and not existed then return 0 end
  if original ~= '' then
    if redis.call('ZSCORE', feed, original) then return 0 end
    local holder = redis.call('HGET', rt, original_id)
    if holder and holder ~= member and redis.call('ZSCORE', feed, holder) then return 0 end
    redis.call('HSET', rt, original_id, member)
    if redis.call('TTL', rt) < 0 then redis.call('EXPIRE', rt, ttl) end
  else
    -- An original that arrives after a retweet of it (out-of-order delivery, or a rebuild
    -- racing a push) takes the retweet's place, so the result does not depend on order.
    local shown = redis.call('HGET', rt, ARGV[2])
    if shown and shown ~= member then
      redis.call('ZREM', feed, shown)
      redis.call('HSET', rt, ARGV[2], member)
    end
  end
  redis.call('ZADD', feed, ARGV[2], member)
  if not existed then redis.call('EXPIRE', feed, ttl) end
  local keep = max
  if redis.call('ZSCORE', feed, ARGV[8]) then keep = max + 1 end
  redis.call('ZREMRANGEBYRANK', feed, 0, -(keep + 1))
  if original ~= '' and redis.call('HLEN', rt) > 2 * max then
    local held = redis.call('HGETALL', rt)
    for i = 1, #held, 2 do
      if not redis.call('ZSCORE', feed, held[i + 1]) then redis.call('HDEL', rt, held[i]) end
    end
  end
  return 1
end

local written = 0
for i = 1, #KEYS, 2 do
  written = written + add(KEYS[i], KEYS[i + 1])
end
return written
"""

# KEYS: feed. ARGV: ":{author_id}". Members end with the author id, so a suffix match is exact.
REMOVE_AUTHOR = """
local suffix, removed = ARGV[1], 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, -#suffix) == suffix then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
"""

UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: feed, its rt hash, its set of followed celebrities. ARGV: top score, how many,
# feed ttl, celebrity key prefix, the ready marker, the known marker.
# Returns {celebrities known (0/1), feed ready (0/1), feed page, then for each followed
# celebrity: id, list ready (0/1), its page}: a whole feed read in one round trip. The
# celebrity lists are named by the set's members, so they cannot be declared as KEYS:
# this script needs a single Redis server (or a cluster with one hash slot for them).
READ = """
local top, wanted, ttl, prefix, ready, known = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
  ARGV[4], ARGV[5], ARGV[6]

local function page(key)
  local whole = redis.call('ZSCORE', key, ready) and 1 or 0
  return whole, redis.call('ZREVRANGEBYSCORE', key, top, '-inf', 'LIMIT', 0, wanted)
end

local celebs = redis.call('SMEMBERS', KEYS[3])
local whole, entries = page(KEYS[1])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
local out = {#celebs > 0 and 1 or 0, whole, entries}
for _, celeb in ipairs(celebs) do
  if celeb ~= known then
    local celeb_whole, celeb_entries = page(prefix .. celeb)
    out[#out + 1] = celeb
    out[#out + 1] = celeb_whole
    out[#out + 1] = celeb_entries
  end
end
return out
"""

# KEYS: a set of followed celebrities. ARGV: ttl, the known marker, then the ids.
# Replaces the set whole, so a user who follows none still has one (just the marker).
REMEMBER_CELEBS = """
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

# KEYS: a set of followed celebrities. ARGV: "1" to add, "0" to remove, the id.
# Touches only a set that exists: a missing one is rebuilt whole on the next read.
UPDATE_CELEBS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '1' then return redis.call('SADD', KEYS[1], ARGV[2]) end
return redis.call('SREM', KEYS[1], ARGV[2])
"""
