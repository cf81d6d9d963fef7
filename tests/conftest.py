import faulthandler
import os
import shutil
import tempfile
import warnings

import pytest

from padserver.harness.jack import JackServer
from padserver.harness.jack_registry import remove_server_files
from padserver.harness.leftovers import Leftovers, become_subreaper

# A test that hangs fails after pytest-timeout's limit (pyproject.toml) with every thread's stack, and the run
# goes on. One stuck where that signal cannot reach (inside a C call that does not return) ends the run this
# much later, again with every thread's stack, instead of holding CI until its own limit.
STUCK_S = 120
_stderr = pytest.StashKey[object]()
_failed = pytest.StashKey[bool]()
_temp = pytest.StashKey[str]()


_session_servers: list[JackServer] = []  # JACK servers that live for the whole run (not a test's leftovers)
_session_names: list[str] = []  # the names they had (a replaced one takes a new name)


def pytest_configure(config):
    # (the terminal's stderr, taken while pytest is not capturing it: a test's output goes elsewhere)
    config.stash[_stderr] = os.fdopen(os.dup(2), "w")
    become_subreaper()  # what a test's processes leave orphaned comes to us, to be found and ended
    # The run's temporary files go in a folder of its own, for it and every process it starts: what a test
    # leaves there is its own (other programs' files in /tmp are none of its business), and the folder goes
    # at the end. pytest's own folders (those of failed tests) stay where pytest keeps them.
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
    config.stash[_temp] = os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="padserver-tests-")
    tempfile.tempdir = None  # (read anew from TMPDIR)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # (stable: the rest keep their order)


def pytest_unconfigure(config):
    temp = config.stash.get(_temp, None)
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(autouse=True)
def _nothing_left_behind():
    """A test leaves no process running and nothing in the temporary folder: what it left is ended, removed,
    and fails the test by name (set up before, and so torn down after, the test's other fixtures)."""
    leftovers = Leftovers()
    leftovers.before()
    yield
    kept = {s.proc.pid for s in _session_servers if s.proc is not None}
    problems = leftovers.after(kept, set())
    if problems:
        pytest.fail("left behind:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _a_stuck_run_ends(request):
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0] if marker and marker.args else request.config.getini("timeout") or 0)
    if limit > 0:
        faulthandler.dump_traceback_later(limit + STUCK_S, exit=True, file=request.config.stash[_stderr])
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[_failed] = True
    return report


def _have_jack() -> bool:
    if shutil.which("jackd") is None:
        return False
    try:
        import jack  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.fixture(scope="session")
def _session_jack_server():
    if not _have_jack():
        pytest.fail("jackd and the JACK client library are required (apt-get install jackd2)")
    server = JackServer().start()
    _session_servers.append(server)
    yield server
    server.stop()
    for name in set(_session_names + [server.name]):  # (a replaced server had a name of its own)
        remove_server_files(name)  # the run leaves no JACK shared memory behind


@pytest.fixture
def jack_server(_session_jack_server, request):
    """One JACK server on the dummy driver for the session (a unique name per run). After a test that failed,
    it is checked, and a server that no longer runs cycles or takes clients is replaced, so one wedged server
    fails one test, not every test after it."""
    yield _session_jack_server
    if request.node.stash.get(_failed, False) and not _session_jack_server.responsive():
        old = _session_jack_server.name
        _session_names.append(old)
        _session_jack_server.restart()
        warnings.warn(
            f"JACK server {old} stopped answering; the tests go on with {_session_jack_server.name}", stacklevel=1
        )


@pytest.fixture
def stepped(tmp_path):
    """Start daemons on the stepped driver: ``stepped(args, config=…)``, each ready, all ended after the test."""
    from padserver.harness.stepped import SteppedDaemon

    made: list[SteppedDaemon] = []

    def start(args: list[str] | None = None, config: str | None = None, **kwargs) -> SteppedDaemon:
        folder = tmp_path / f"daemon{len(made) + 1}" if made else tmp_path
        daemon = SteppedDaemon(args, config=config, data_dir=str(folder), **kwargs)
        made.append(daemon)
        daemon.wait_ready()
        return daemon

    yield start
    for daemon in made:
        daemon.terminate()
