-- Accounts at OAuth providers (Google, GitHub) linked to users. A user signs in with a provider
-- only through a linked identity; linking to an existing account happens from a signed-in
-- session, never by matching an email alone.
CREATE TABLE oauth_identities (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    provider   text NOT NULL CHECK (provider IN ('google', 'github')),
    subject    text NOT NULL,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, subject)
);
CREATE INDEX oauth_identities_user ON oauth_identities (user_id);
