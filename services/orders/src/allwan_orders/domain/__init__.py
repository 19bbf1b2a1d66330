"""The orders domain: catalogue, prices, the order aggregate and its rules. No I/O."""
