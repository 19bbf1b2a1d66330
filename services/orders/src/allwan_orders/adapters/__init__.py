"""MongoDB read models and the catalogue file, behind the handlers' ports."""
