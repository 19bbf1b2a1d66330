"""One plain async function per request the orders service decides; dependencies as arguments."""
