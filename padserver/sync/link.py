"""Ableton Link (control side): one tempo with every peer, and the bar grid on the session's phase.

The binding is LinkPython-extern (Ableton's Link library itself). A few dozen
times a second the session state is read: a tempo a peer set is followed, a
tempo set here (OSC, tap, a controller) is sent to the peers, and the engine's
clock is laid on the Link timeline — the frame that is *heard* at Link time t
(JACK's clock and Link's are the same clock; the output's playback latency is
added) carries the Link beat of t, modulo the quantum, so bar lines fall where
the session's phase is 0. The engine's own beat count is kept (only the phase
moves), so the song and the loops keep their places.
"""

from __future__ import annotations

import logging

from padserver.tasks import spawn

log = logging.getLogger("padserver.link")

TEMPO_STEP = 0.005  # BPM
PHASE_STEP_S = 0.0002  # a smaller phase error is left alone (0.2 ms)


class LinkFollower:
    def __init__(self, actions, backend, sample_rate: int, quantum: float, start_stop: bool = False) -> None:
        import link  # LinkPython-extern

        self.actions = actions
        self.backend = backend
        self.rate = sample_rate
        self.quantum = float(quantum)
        self.link = link.Link(actions.project.tempo)
        self.start_stop = start_stop  # the song transport starts and stops with the session's
        self.link.startStopSyncEnabled = start_stop
        self.playing = False  # the session's start/stop state as last seen
        self.tempo = actions.project.tempo  # the tempo both sides last agreed on
        self.peers = 0

    def enable(self, on: bool) -> None:
        self.link.enabled = on
        if on:
            self.tempo = self.actions.project.tempo
            self._push_tempo(self.tempo)

    def _push_tempo(self, tempo: float) -> None:
        state = self.link.captureAppSessionState()
        state.setTempo(tempo, self.link.clock().micros())
        self.link.commitAppSessionState(state)

    def _start_stop(self, state) -> None:
        """A peer started or stopped: the song follows (on the next bar line); the song here started or
        stopped: the peers hear of it."""
        a = self.actions
        session = bool(state.isPlaying())
        rolling = a.project.transport in ("playing", "recording")
        if session != self.playing:
            self.playing = session
            if session and not rolling:
                log.info("Link: a peer started the transport")
                a.song.play()
            elif not session and rolling:
                log.info("Link: a peer stopped the transport")
                spawn(a.song.halt(to_start=False), "Link: stopping the transport")
        elif rolling != session:
            self.playing = rolling
            state.setIsPlaying(rolling, self.link.clock().micros())
            self.link.commitAppSessionState(state)

    def poll(self) -> None:
        if self.actions.sync_source != "link":
            return
        peers = self.link.numPeers()
        if peers != self.peers:
            log.info("Link: %d peer%s", peers, "" if peers == 1 else "s")
            self.peers = peers
        a = self.actions
        state = self.link.captureAppSessionState()
        if self.start_stop:
            self._start_stop(state)
        tempo = state.tempo()
        if abs(a.project.tempo - self.tempo) > TEMPO_STEP and abs(tempo - self.tempo) <= TEMPO_STEP:
            self.tempo = a.project.tempo  # set here: the peers follow
            self._push_tempo(self.tempo)
            return
        where = self.backend.clock_map()
        if where is None:
            return
        frame, micros, latency = where
        heard = micros + 1e6 * latency / self.rate
        link_beat = state.beatAtTime(int(heard), self.quantum)
        clock = a.engine.clock
        ours = clock.beat_at(frame)
        q = self.quantum
        error = (link_beat - ours + q / 2) % q - q / 2  # beats, nearest way round
        seconds = abs(error) * 60.0 / tempo
        if abs(tempo - self.tempo) <= TEMPO_STEP and seconds < PHASE_STEP_S:
            return
        log.debug("Link: tempo %.3f, phase %+.3f ms", tempo, 1000 * error * 60.0 / tempo)
        self.tempo = tempo
        a.follow_tempo(tempo, float(frame), ours + error)
