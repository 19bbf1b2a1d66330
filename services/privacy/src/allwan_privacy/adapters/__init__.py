"""MongoDB read models and stores, the export's HTML, the metrics."""
