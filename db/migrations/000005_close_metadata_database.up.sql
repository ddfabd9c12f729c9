-- Nobody but the roles Datanika runs as may connect to the metadata database: in particular not
-- the login roles of the managed warehouse, which may live on the same server. (PostgreSQL grants
-- CONNECT on every new database to PUBLIC.) A DATABASE_URL user that does not own the database
-- cannot revoke it; then the operator must, and the migration says so instead of failing.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO CURRENT_USER', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not revoke CONNECT on database % from PUBLIC; revoke it by hand', current_database();
END
$$;
