import shutil

import pytest

from padserver.harness.jack import JackServer


def _have_jack() -> bool:
    if shutil.which("jackd") is None:
        return False
    try:
        import jack  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.fixture(scope="session")
def jack_server():
    """One JACK server on the dummy driver for the session (a unique name per run)."""
    if not _have_jack():
        pytest.fail("jackd and the JACK client library are required (apt-get install jackd2)")
    server = JackServer().start()
    yield server
    server.stop()
