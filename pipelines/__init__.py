"""The vendorsync application: CLI, sync and backfill runs, run ledger, locking, dbt."""
