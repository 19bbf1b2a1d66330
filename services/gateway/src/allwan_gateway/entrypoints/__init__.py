"""How the gateway is run: the FastAPI app and the ``allwan-gateway`` CLI."""
