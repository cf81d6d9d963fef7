"""Groups of OSC routes; importing a module adds its routes to the table."""
