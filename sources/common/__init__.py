"""What every vendor source shares: the HTTP client (retries, rate budget, redaction,
error translation), paging on top of dlt's paginators, time windows and value parsing."""
