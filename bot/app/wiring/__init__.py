"""Per-platform wiring: each builds its adapter from exactly what it uses and returns its
web plugin and its poster."""
