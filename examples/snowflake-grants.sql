-- The least a Snowflake role needs to load with Conduit (docs/security.md); tested by
-- test/integration/snowflake-grants.test.ts, which runs this file as it is.
-- Run it as a role that may create roles and grant on the database (ACCOUNTADMIN, or SECURITYADMIN
-- with the database's owner). Rename RAW (database), SHOP (schema), LOAD_WH (warehouse),
-- CONDUIT_LOADER (role and user) and ANALYST (readers) to yours. Create the user first, e.g.
--   CREATE USER CONDUIT_LOADER PASSWORD = '...' DEFAULT_ROLE = CONDUIT_LOADER;
-- and set `destination.role: CONDUIT_LOADER` in the pipeline (or rely on the DEFAULT_ROLE).

CREATE ROLE IF NOT EXISTS CONDUIT_LOADER;
GRANT ROLE CONDUIT_LOADER TO USER CONDUIT_LOADER;
-- Administrators inherit what the loader owns (Snowflake's recommended role hierarchy).
GRANT ROLE CONDUIT_LOADER TO ROLE SYSADMIN;
GRANT USAGE ON WAREHOUSE LOAD_WH TO ROLE CONDUIT_LOADER;
GRANT USAGE ON DATABASE RAW TO ROLE CONDUIT_LOADER;

-- The schema exists, so the loader needs no CREATE SCHEMA on the database. Conduit creates its
-- tables and run-scoped stages in it and owns them, which SWAP and DROP require.
CREATE SCHEMA IF NOT EXISTS RAW.SHOP;
GRANT USAGE, CREATE TABLE, CREATE STAGE ON SCHEMA RAW.SHOP TO ROLE CONDUIT_LOADER;

-- Readers: a future grant reaches every table Conduit creates, including each new copy it swaps
-- in. A grant on the table itself would stay with the old copy and be dropped with it.
CREATE ROLE IF NOT EXISTS ANALYST;
GRANT USAGE ON DATABASE RAW TO ROLE ANALYST;
GRANT USAGE ON SCHEMA RAW.SHOP TO ROLE ANALYST;
GRANT SELECT ON FUTURE TABLES IN SCHEMA RAW.SHOP TO ROLE ANALYST;
