"""Plain async functions: record intake events, project other services' events."""
