"""The edge in front of the API and media: cache headers on the way out, purges on change."""

from stack.edge.caching import CacheHeadersMiddleware
from stack.edge.purge import purge_tweet, purge_urls

__all__ = ["CacheHeadersMiddleware", "purge_tweet", "purge_urls"]
