"""Running padserver as a process and listening to it: shared by the tests and the benchmarks.

A real JACK server on the dummy driver, a JACK client that captures what
padserver plays on a stream-frame clock, the daemon started as a user starts
it, and a small OSC peer.
"""
