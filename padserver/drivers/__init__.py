"""What runs the engine: JACK (with JACK MIDI in its callback), PortAudio, null (clock-paced), stepped (for
tests) and offline; and writing the master to a file as it plays."""
