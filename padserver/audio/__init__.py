"""Drivers that run the engine (JACK, PortAudio, null, offline) and audio file handling."""
