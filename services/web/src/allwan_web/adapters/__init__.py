"""The pages' outside world: the gateway's public API, the sessions in memory, sealed cookies."""
