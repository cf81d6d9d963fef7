"""Control surfaces: OSC (and later MIDI), translating wire messages into actions."""
