"""How the orders service is run: the FastStream ASGI app and the ``allwan-orders`` CLI."""
