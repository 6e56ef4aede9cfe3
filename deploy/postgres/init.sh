#!/bin/sh
# Runs once, when the PostgreSQL volume is created (the image runs every
# script in /docker-entrypoint-initdb.d). Creates the database with two
# roles, as the README's "Running on PostgreSQL" section asks:
#   nextflow_owner  owns the schema; `nextflow migrate up` connects as it
#   nextflow_app    what the nodes connect as: no superuser, no BYPASSRLS,
#                   owns nothing, so row-level security applies to it
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE nextflow_owner LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${NEXTFLOW_OWNER_PASSWORD}';
CREATE ROLE nextflow_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${NEXTFLOW_APP_PASSWORD}';
CREATE DATABASE nextflow OWNER nextflow_owner;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname nextflow <<SQL
ALTER SCHEMA public OWNER TO nextflow_owner;
GRANT USAGE ON SCHEMA public TO nextflow_app;
ALTER DEFAULT PRIVILEGES FOR ROLE nextflow_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nextflow_app;
ALTER DEFAULT PRIVILEGES FOR ROLE nextflow_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO nextflow_app;
SQL
