"""One async function per event: ``(event, envelope, deps)``; ``ports.py`` holds ``Deps``."""
