"""The trending score of a hashtag: the design review's formula over a sliding window.

    score = mentions * 1000 + velocity * 500 - age_hours * 10

Counts are kept per minute (minute = Unix ms // 60,000). At time `now_ms`, with a
window of W minutes:

- the window is the W minutes ending with the current one:
  `now_minute - W + 1 .. now_minute`; counts outside it are ignored;
- mentions: the tweets carrying the hashtag in the window (sum of the counts);
- velocity: the tweets carrying it in the last 5 minutes of the window, scaled to
  an hourly rate (* 12), so a burst now outranks the same count spread over the hour;
- age_hours: hours from the start of the first minute in the window with a count
  to `now_ms`; an old topic slowly gives way to a new one with the same counts.

Time decay is the window sliding: every minute old counts leave it, velocity
fades once a burst is over and age grows, so a score falls unless the hashtag
keeps being used; a hashtag with no mention in the window has no score at all.
"""

from __future__ import annotations

from collections.abc import Mapping

MENTION_WEIGHT = 1_000
VELOCITY_WEIGHT = 500
AGE_WEIGHT = 10
VELOCITY_MINUTES = 5
MINUTE_MS = 60_000
HOUR_MS = 3_600_000

MinuteCounts = Mapping[int, int]
"""Count of tweets per minute number (Unix ms // 60,000)."""


def minute_of(unix_ms: int) -> int:
    return unix_ms // MINUTE_MS


def window_minutes(now_ms: int, window_s: int) -> range:
    """The minutes of the window ending at `now_ms`, oldest first."""
    now = minute_of(now_ms)
    size = max(1, window_s // 60)
    return range(now - size + 1, now + 1)


def score(counts: MinuteCounts, now_ms: int, window_s: int) -> float | None:
    """The hashtag's score at `now_ms`, or None when it has no mention in the window."""
    minutes = window_minutes(now_ms, window_s)
    live = {m: c for m, c in counts.items() if m in minutes and c > 0}
    if not live:
        return None
    mentions = sum(live.values())
    recent = range(max(minutes.start, minutes.stop - VELOCITY_MINUTES), minutes.stop)
    velocity = sum(c for m, c in live.items() if m in recent) * (60 / VELOCITY_MINUTES)
    age_hours = (now_ms - min(live) * MINUTE_MS) / HOUR_MS
    return mentions * MENTION_WEIGHT + velocity * VELOCITY_WEIGHT - age_hours * AGE_WEIGHT


def rank(
    counts_by_tag: Mapping[str, MinuteCounts], now_ms: int, window_s: int, top: int
) -> list[tuple[str, float]]:
    """The `top` hashtags by score, highest first (ties by name), scores rounded to 0.001."""
    scored = []
    for tag, counts in counts_by_tag.items():
        value = score(counts, now_ms, window_s)
        if value is not None:
            scored.append((tag, round(value, 3)))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:top]
