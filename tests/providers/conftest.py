import pytest

from padserver.harness.fakes import FakeHttp


@pytest.fixture
def fake():
    """A fake of the ElevenLabs and Google HTTP APIs for one test."""
    http = FakeHttp()
    yield http
    http.close()
