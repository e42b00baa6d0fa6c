"""Names vulture (the dead-code check, tests/test_code_health.py) cannot see used, each with
who uses it. Vulture reads this file as source; it is never imported."""
# ruff: noqa
_ = object()

placement_affinity  # dlt reads it to place a pipe step (pipelines/arrow.py)
_.bind  # dlt calls it when it adds a step to a pipe (pipelines/arrow.py)
_.on_start_trace  # dlt's tracking protocol (pipelines/logs.py)
_.on_start_trace_step  # dlt's tracking protocol
_.on_end_trace_step  # dlt's tracking protocol
_.on_end_trace  # dlt's tracking protocol
send_state  # a parameter of that protocol
step_info  # a parameter of that protocol
defs  # Dagster finds a code location's definitions by this name
_.trust_env  # requests.Session reads it
_.verify  # requests.Session reads it
_.msg  # logging.LogRecord's message, read by every handler
NOT_LOADED  # the documented fields a source skips, read by tests/docexamples/coverage.py
