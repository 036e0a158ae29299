"""One parser module per manifest format; each returns a Manifest and never raises on bad input."""
