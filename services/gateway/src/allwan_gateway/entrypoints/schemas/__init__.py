"""The HTTP shapes: request bodies and parameters, answers, problem details (RFC 9457)."""
