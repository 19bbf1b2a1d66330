"""The gateway's rules, pure Python: what a request may carry, who may make it, how a retry
maps to the same stream, how a webhook proves where it came from, and how errors read."""
