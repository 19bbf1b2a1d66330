"""One async function per input, ``(event, envelope, deps)``; ``bootstrap`` registers each
for its event class."""
