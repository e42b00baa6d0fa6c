"""Examples of running vendorsync from a scheduler: a Dagster definition (`dagster_defs`) and
systemd units (`systemd/`). They call the `vendorsync` command, so every run keeps the CLI's
locks, ledger, exit codes and logs."""
