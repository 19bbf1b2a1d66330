"""How the consent service is run: the FastStream/ASGI app and the command line."""
