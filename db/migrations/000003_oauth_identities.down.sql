DROP TABLE IF EXISTS oauth_identities;
