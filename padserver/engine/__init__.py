"""The realtime world: musical clock, pad voices, mixer, limiter, queues and meters.

Everything here runs on (or is handed to) the audio callback thread. It imports
only numpy and knows nothing about OSC, MIDI, files or providers.
"""
