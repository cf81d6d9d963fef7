import pytest

from padserver.config import ConfigError, load_config, render


def test_embedded_defaults_need_no_file():
    config = load_config(env={})
    assert config.audio.backend == "auto" and config.osc.host == "127.0.0.1" and config.osc.port == 9000
    assert config.engine.tempo == 120.0 and config.engine.quantize == "1" and config.engine.limiter is True


def test_file_then_flags_override_the_defaults(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("osc:\n  port: 9100\nengine:\n  quantize: 1/4\n")
    config = load_config(str(path), {"osc.port": 9200, "audio.backend": "null"}, env={})
    assert config.osc.port == 9200 and config.engine.quantize == "1/4" and config.audio.backend == "null"


def test_secrets_come_from_the_environment_and_are_masked():
    config = load_config(env={"ELEVENLABS_API_KEY": "xi-secret"})
    assert config.providers.elevenlabs_api_key == "xi-secret"
    shown = render(config)
    assert "xi-secret" not in shown and "elevenlabs_api_key: <set>" in shown


@pytest.mark.parametrize(
    "text,message",
    [
        ("osc:\n  alow: []\n", "unknown key osc.alow (did you mean osc.allow?)"),
        ("osc:\n  allow: [not-a-net]\n", "'not-a-net' is not an address or network"),
        ("audio:\n  latency: fast\n", "audio.latency must be low, high or seconds"),
        ("audio: 3\n", "audio must be a section with keys backend"),
        ("engine:\n  limiter: maybe\n", "engine.limiter must be 0 or 1, true or false"),
        ("- a list\n", "must be a mapping of sections"),
    ],
)
def test_errors_name_the_file_the_key_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(str(path), env={})
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "none.yaml"), env={})


def test_every_library_category_has_a_level():
    from padserver.config.schema import CATEGORY_LEVELS
    from padserver.library.db import CATEGORIES

    assert set(CATEGORY_LEVELS) == set(CATEGORIES)
