-- Creates the `authorworks` role and one database per service, owned by that role.
-- Run by the `db-setup` service in docker-compose.yml on every start, with psql 15 or later
-- (\getenv is new in 15):
--   AUTHORWORKS_DB_PASSWORD=... psql -v ON_ERROR_STOP=1 -f deploy/postgres/create-databases.sql
-- Idempotent: on the first start it creates everything; later it only adds what is missing (a new
-- service's database after an upgrade) and sets the role's password to the one in .env, so
-- rotating the password is "edit .env, docker compose up -d".
-- Spin's components connect as `authorworks`, not as the `postgres` superuser; each service's
-- migrations run as the owner of its own database.

\set ON_ERROR_STOP on
\getenv app_password AUTHORWORKS_DB_PASSWORD
\if :{?app_password}
\else
  \warn 'AUTHORWORKS_DB_PASSWORD is not set'
  SELECT 1 / 0 AS authorworks_db_password_missing;
\endif

SELECT format('CREATE ROLE authorworks LOGIN PASSWORD %L', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authorworks') \gexec

SELECT format('ALTER ROLE authorworks WITH LOGIN PASSWORD %L', :'app_password') \gexec

-- One database per service, named as the <service>_db_connection defaults in spin-all.toml name
-- them (tests/deployment checks the two lists agree).
SELECT format('CREATE DATABASE %I OWNER authorworks', wanted.name)
FROM unnest(ARRAY[
  'authorworks_users',
  'authorworks_content',
  'authorworks_storage',
  'authorworks_editor',
  'authorworks_messaging',
  'authorworks_graphics',
  'authorworks_audio',
  'authorworks_video'
]) AS wanted(name)
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = wanted.name) \gexec
