"""The Lua scripts the timeline store runs in Redis, each one atomic on the keys it names."""

# One entry into one feed: the rules every feed write follows. `e` is the entry (member,
# score, original member or "", original id or ""), `o` the options (max, ttl, "1" to touch
# only an existing feed, the ready marker). Returns 1 when the feed got the entry.
_ADD_FUNCTION = """
local function add(feed, rt, e, o)
  local member, score, original, original_id = e[1], e[2], e[3], e[4]
  local max, ttl = tonumber(o[1]), tonumber(o[2])
  local existed = redis.call('EXISTS', feed) == 1
  if o[3] == '1' and not existed then return 0 end
  if original ~= '' then
    if redis.call('ZSCORE', feed, original) then return 0 end
    local holder = redis.call('HGET', rt, original_id)
    if holder and holder ~= member and redis.call('ZSCORE', feed, holder) then return 0 end
    redis.call('HSET', rt, original_id, member)
    if redis.call('TTL', rt) < 0 then redis.call('EXPIRE', rt, ttl) end
  else
    -- An original that arrives after a retweet of it (out-of-order delivery, or a rebuild
    -- racing a push) takes the retweet's place, so the result does not depend on order.
    local shown = redis.call('HGET', rt, score)
    if shown and shown ~= member then
      redis.call('ZREM', feed, shown)
      redis.call('HSET', rt, score, member)
    end
  end
  redis.call('ZADD', feed, score, member)
  if not existed then redis.call('EXPIRE', feed, ttl) end
  local keep = max
  if redis.call('ZSCORE', feed, o[4]) then keep = max + 1 end
  redis.call('ZREMRANGEBYRANK', feed, 0, -(keep + 1))
  if original ~= '' and redis.call('HLEN', rt) > 2 * max then
    local held = redis.call('HGETALL', rt)
    for i = 1, #held, 2 do
      if not redis.call('ZSCORE', feed, held[i + 1]) then redis.call('HDEL', rt, held[i]) end
    end
  end
  return 1
end
"""

# KEYS: feed and rt key of each feed in turn. ARGV: member, score, original member or "",
# original id or "", feed max, ttl seconds, "1" to touch only existing feeds, the ready marker.
# Returns how many feeds got the entry. One call serves many feeds: far fewer commands for
# the client to pack than one per feed, which is what bounds fan-out throughput.
ADD = (
    _ADD_FUNCTION
    + """
local entry = {ARGV[1], ARGV[2], ARGV[3], ARGV[4]}
local options = {ARGV[5], ARGV[6], ARGV[7], ARGV[8]}
local written = 0
for i = 1, #KEYS, 2 do
  written = written + add(KEYS[i], KEYS[i + 1], entry, options)
end
return written
"""
)

# KEYS: feed, its rt hash, a scratch key. ARGV: feed max, ttl, ready marker, the recent-list
# key prefix, then author ids. Adds the newest `feed max` entries of every author's recent
# list that is complete (holds `ready`) into the feed, by the same rules as ADD, then marks
# the feed ready; returns the authors whose list is not complete, for the caller to read
# from the store. Recent-list members are "tweet:author" or, for a retweet,
# "tweet:author:original:original_author". The author lists are named by ARGV, so this
# script needs a single Redis server (or a cluster with one hash slot for them).
REBUILD = (
    _ADD_FUNCTION
    + """
local max, ttl, ready, prefix = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local missing, sources = {}, {}
for i = 5, #ARGV do
  local key = prefix .. ARGV[i]
  if redis.call('ZSCORE', key, ready) then sources[#sources + 1] = key
  else missing[#missing + 1] = ARGV[i] end
end
redis.call('DEL', KEYS[3])
for first = 1, #sources, 500 do
  local batch = {KEYS[3]}
  for i = first, math.min(first + 499, #sources) do batch[#batch + 1] = sources[i] end
  redis.call('ZUNIONSTORE', KEYS[3], #batch, unpack(batch))
  redis.call('ZREM', KEYS[3], ready)
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(max + 1))
end
local options = {max, ttl, '0', ready}
for _, full in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local t, a, o, oa = string.match(full, '^(%d+):(%d+):?(%d*):?(%d*)$')
  if t then
    local original = o ~= '' and (o .. ':' .. oa) or ''
    add(KEYS[1], KEYS[2], {t .. ':' .. a, t, original, o}, options)
  end
end
redis.call('DEL', KEYS[3])
return missing
"""
)

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

# KEYS: an author's recent list. ARGV: a tweet id. Removes the tweet whatever its member
# form (a retweet's member names its original, which a delete event does not carry).
REMOVE_RECENT = """
local prefix = ARGV[1] .. ':'
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])) do
  if string.sub(member, 1, #prefix) == prefix then redis.call('ZREM', KEYS[1], member) end
end
return 1
"""
