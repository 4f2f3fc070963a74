"""Tweets: post, read, edit, delete, like, retweet, and an author's timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from chirp.stack.gateway import cursor
from chirp.stack.gateway.deps import CurrentUser, CursorQuery, IdPath, LimitQuery, ResourcesDep
from chirp.stack.gateway.errors import not_found
from chirp.stack.gateway.openapi import AUTHENTICATED, errors
from chirp.stack.tweets import hydrate, service, store
from chirp.stack.tweets.model import Tweet
from chirp.stack.tweets.pages import TweetPage, tweet_page
from chirp.stack.tweets.schemas import TweetCreate, TweetEdit, TweetPublic
from chirp.stack.users import profiles

router = APIRouter(tags=["tweets"])
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=128, description="retries with it post once"),
]
_NO_TWEET = errors(404, e404="no such tweet")
_AUTHOR_ONLY = {**AUTHENTICATED, **errors(403, 404, e403="not the author", e404="no such tweet")}
_ENGAGE = {**AUTHENTICATED, **_NO_TWEET}


@router.post(
    "/tweets",
    status_code=status.HTTP_201_CREATED,
    responses={
        **AUTHENTICATED,
        **errors(
            404,
            409,
            e404="the replied-to tweet does not exist",
            e409="the tweet this Idempotency-Key made was deleted",
        ),
    },
)
def create_tweet(
    body: TweetCreate, caller: CurrentUser, res: ResourcesDep, key: IdempotencyKey = None
) -> TweetPublic:
    """Post a tweet: 1 to 280 characters, at least one visible, stored NFC-normalised.
    A 429 says the author's hourly limit or the fan-out's backpressure was reached."""
    return _shown(res, service.post_tweet(res, caller, body, key))


@router.get("/tweets/{tweet_id}", responses=_NO_TWEET)
def get_tweet(tweet_id: IdPath, res: ResourcesDep) -> TweetPublic:
    tweet = service.find(res, tweet_id)
    shown = hydrate.hydrate(res, [(tweet.user_id, tweet.tweet_id)], use_cache=False)
    if not shown:
        raise not_found("Tweet")
    return shown[0]


@router.patch(
    "/tweets/{tweet_id}",
    responses={**_AUTHOR_ONLY, **errors(409, e409="a retweet has no text to edit")},
)
def edit_tweet(
    tweet_id: IdPath, body: TweetEdit, caller: CurrentUser, res: ResourcesDep
) -> TweetPublic:
    """Replace the text; only the author may, and not of a retweet (409)."""
    return _shown(res, service.edit_tweet(res, caller, tweet_id, body.text))


@router.delete("/tweets/{tweet_id}", status_code=204, responses=_AUTHOR_ONLY)
def delete_tweet(tweet_id: IdPath, caller: CurrentUser, res: ResourcesDep) -> Response:
    """Delete; only the author may. It leaves feeds, search and timelines."""
    service.delete_tweet(res, caller, tweet_id)
    return Response(status_code=204)


@router.post("/tweets/{tweet_id}/like", responses=_ENGAGE)
def like_tweet(tweet_id: IdPath, caller: CurrentUser, res: ResourcesDep) -> TweetPublic:
    """Like once; liking again changes nothing."""
    return _shown(res, service.like(res, caller, tweet_id, liked=True))


@router.delete("/tweets/{tweet_id}/like", responses=_ENGAGE)
def unlike_tweet(tweet_id: IdPath, caller: CurrentUser, res: ResourcesDep) -> TweetPublic:
    return _shown(res, service.like(res, caller, tweet_id, liked=False))


@router.post(
    "/tweets/{tweet_id}/retweet",
    responses={**_ENGAGE, **errors(409, e409="a retweet cannot be retweeted")},
)
def retweet_tweet(tweet_id: IdPath, caller: CurrentUser, res: ResourcesDep) -> TweetPublic:
    """Retweet once; the retweet reaches the caller's followers."""
    return _shown(res, service.retweet(res, caller, tweet_id, retweeted=True))


@router.delete(
    "/tweets/{tweet_id}/retweet",
    responses={**_ENGAGE, **errors(409, e409="a retweet cannot be retweeted")},
)
def unretweet_tweet(tweet_id: IdPath, caller: CurrentUser, res: ResourcesDep) -> TweetPublic:
    return _shown(res, service.retweet(res, caller, tweet_id, retweeted=False))


def _shown(res: ResourcesDep, tweet: Tweet) -> TweetPublic:
    return hydrate.to_public(tweet, profiles.profiles(res, [tweet.user_id]))


@router.get(
    "/users/{user_id}/tweets",
    tags=["timelines"],
    response_model=TweetPage,
    responses=errors(404, e404="no such user"),
)
def list_user_tweets(
    user_id: IdPath, res: ResourcesDep, cursor_: CursorQuery = None, limit: LimitQuery = 20
) -> Response:
    """The author's own tweets and retweets, newest first."""
    if not profiles.profiles(res, [user_id]):
        raise not_found("User")
    before = cursor.decode_id(cursor_)
    tweets = store.user_tweets(res.dynamo, user_id, before, limit + 1)
    more = len(tweets) > limit
    tweets = tweets[:limit]
    items = hydrate.hydrate(res, [(t.user_id, t.tweet_id) for t in tweets])
    return tweet_page(items, cursor.encode_id(tweets[-1].tweet_id) if more else None)
