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
