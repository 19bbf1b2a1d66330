"""MongoDB read models and their queries, the phone blind index."""
