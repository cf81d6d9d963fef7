"""Shared time with the outside: Ableton Link, MIDI clock in and out (JACK and rtmidi), following a clock, and
when an engine frame is heard (the stream and JACK clocks)."""
