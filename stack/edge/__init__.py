"""The edge in front of the API and media: cache headers on the way out, purges on change."""

from chirp.stack.edge.caching import CacheHeadersMiddleware
from chirp.stack.edge.purge import purge_tweet, purge_urls

__all__ = ["CacheHeadersMiddleware", "purge_tweet", "purge_urls"]
