"""The pages' rules, without I/O: languages, money and dates as the store shows them, the
cookie choice (CK1, CK2), what a form must hold."""
