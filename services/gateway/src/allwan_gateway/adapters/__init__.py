"""MongoDB read models and audit log, the notifier's ledger over HTTP, decision signals."""
