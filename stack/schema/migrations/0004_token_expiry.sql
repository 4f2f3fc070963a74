-- When each bearer token was issued: a token is refused token_ttl_days after it, and
-- rotating a token (POST /api/v1/users/{id}/tokens) issues a new one now.
ALTER TABLE users ADD COLUMN token_issued_at TIMESTAMPTZ NOT NULL DEFAULT now();
