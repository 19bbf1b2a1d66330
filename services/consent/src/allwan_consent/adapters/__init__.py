"""MongoDB event streams and read models, the phone blind index."""
