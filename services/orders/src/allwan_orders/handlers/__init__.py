"""The orders handlers, one module per concern, each ``async def h(event, envelope, deps)``;
``ports`` says what they need. Registered by event class in ``bootstrap``."""
