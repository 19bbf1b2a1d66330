"""How the privacy service is run: the FastStream/ASGI app, its export route, the command line."""
