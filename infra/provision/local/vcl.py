"""The edge's Varnish configuration (VCL), rendered from the settings.

`/media/<key>` goes to the object store's bucket and is kept a year (keys are never
reused); `/api/v1/...` goes to HAProxy, and anonymous GETs are kept as long as the
gateway's Cache-Control allows. Requests with credentials and personal routes pass
through uncached. PURGE (one URL) and BAN (a URL prefix) come only from the purgers'
networks: 127.0.0.1 locally, the compose network's private ranges in Docker.
"""

from __future__ import annotations

from dataclasses import dataclass

MEDIA_TTL = "365d"
_TQ = '"""'  # a VCL string that may hold double quotes and braces


@dataclass(frozen=True)
class EdgeConfig:
    host: str
    api_port: int
    objectstore_host: str
    objectstore_port: int
    bucket: str
    purgers: tuple[str, ...] = ("127.0.0.1",)
    """Addresses or CIDR networks whose PURGE and BAN are obeyed."""


def _acl_entry(network: str) -> str:
    address, _, bits = network.partition("/")
    return f'"{address}"/{bits};' if bits else f'"{address}";'


def render_vcl(config: EdgeConfig) -> str:
    purgers = "\n    ".join(_acl_entry(network) for network in config.purgers)
    return f"""\
vcl 4.1;

backend api {{
    .host = "{config.host}";
    .port = "{config.api_port}";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}}

backend media {{
    .host = "{config.objectstore_host}";
    .port = "{config.objectstore_port}";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}}

acl purgers {{
    {purgers}
}}

sub vcl_recv {{
    if (req.method == "PURGE" || req.method == "BAN") {{
        if (client.ip !~ purgers) {{
            return (synth(403, "purge only from the stack"));
        }}
        if (req.method == "PURGE") {{
            return (purge);
        }}
        # The URL and its query-string variants (a timeline's pages).
        ban("obj.http.x-edge-url ~ ^" + req.url + "(\\?|$)");
        return (synth(200, "banned"));
    }}
    if (req.url ~ "^/media/") {{
        if (req.method != "GET" && req.method != "HEAD") {{
            return (synth(405, "media is read-only here"));
        }}
        set req.backend_hint = media;
        unset req.http.Authorization;
        unset req.http.Cookie;
        return (hash);
    }}
    set req.backend_hint = api;
    if (req.method != "GET" && req.method != "HEAD") {{
        return (pass);
    }}
    if (req.http.Authorization || req.http.Cookie) {{
        return (pass);
    }}
    if (req.url ~ "^/api/v1/(feed|notifications)") {{
        return (pass);
    }}
    return (hash);
}}

# One object per URL, whatever Host the client used, so a purge of the path finds it.
sub vcl_hash {{
    hash_data(req.url);
    return (lookup);
}}

sub vcl_backend_fetch {{
    if (bereq.backend == media) {{
        set bereq.url = regsub(bereq.url, "^/media/", "/{config.bucket}/");
        set bereq.http.Host = "{config.objectstore_host}:{config.objectstore_port}";
    }}
}}

sub vcl_backend_response {{
    set beresp.http.x-edge-url = bereq.url;
    if (bereq.backend == media) {{
        set beresp.http.x-edge-url = regsub(bereq.url, "^/{config.bucket}/", "/media/");
        if (beresp.status == 200) {{
            set beresp.ttl = {MEDIA_TTL};
            set beresp.http.Cache-Control = "public, max-age=31536000, immutable";
        }} else {{
            # A private bucket answers 403 for a key it does not have.
            if (beresp.status == 403) {{
                set beresp.status = 404;
            }}
            set beresp.ttl = 1s;
        }}
        unset beresp.http.Set-Cookie;
        return (deliver);
    }}
    if (beresp.http.Cache-Control !~ "public" || beresp.http.Set-Cookie) {{
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }}
    return (deliver);
}}

sub vcl_deliver {{
    if (obj.hits > 0) {{
        set resp.http.X-Cache = "HIT";
    }} else {{
        set resp.http.X-Cache = "MISS";
    }}
    unset resp.http.x-edge-url;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}}

sub vcl_synth {{
    set resp.http.Content-Type = "application/json";
    set resp.http.X-Cache = "MISS";
    synthetic({{"{{"error": {{"code": "edge", "message": ""}} + resp.reason + {_TQ}"}}}}{_TQ});
    return (deliver);
}}
"""
