"""MongoDB read models, the catalogue file and the key store, behind the handlers' ports."""
