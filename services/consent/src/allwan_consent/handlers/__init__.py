"""One plain async function per input; dependencies come as arguments (see ``bootstrap``)."""
