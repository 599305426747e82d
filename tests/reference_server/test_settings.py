"""Settings: defaults, environment parsing, validation, and a repr that hides keys."""

from __future__ import annotations

import pytest

from reference_server import Settings
from reference_server.normalize import normalize_linkedin_url
from reference_server.settings import ConfigError, parse_api_keys


def test_defaults_match_the_documented_limits_and_cache() -> None:
    settings = Settings(api_keys={"k": "t"})
    assert dict(settings.rate_limits) == {"write": 30, "read": 60, "batch": 10}
    assert settings.operation_buckets["deleteDncEntry"] == "write"
    assert (settings.rate_window_s, settings.cache_ttl_s) == (60.0, 300.0)
    assert (settings.max_body_bytes, settings.max_batch_entries) == (1_048_576, 1000)
    assert settings.normalizer is normalize_linkedin_url


def test_from_env_reads_keys_window_and_database() -> None:
    env = {"DNC_API_KEYS": "k1:team_a, k2:team_b ,", "DNC_RATE_WINDOW_S": "0.5", "DNC_DB": "x.db"}
    settings = Settings.from_env(env)
    assert dict(settings.api_keys) == {"k1": "team_a", "k2": "team_b"}
    assert settings.rate_window_s == 0.5
    assert settings.db_path == "x.db"


def test_keys_may_contain_colons_the_team_is_after_the_last_one() -> None:
    assert parse_api_keys("a:b:team") == {"a:b": "team"}


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DNC_API_KEYS": "lonely-secret"},
        {"DNC_API_KEYS": "k1:a,k1:b"},
        {"DNC_API_KEYS": "k:a", "DNC_RATE_WINDOW_S": "soon"},
        {"DNC_API_KEYS": "k:a", "DNC_RATE_WINDOW_S": "0"},
        {"DNC_API_KEYS": "k:a", "DNC_RATE_WINDOW_S": "nan"},
        {"DNC_API_KEYS": "k:a", "DNC_RATE_WINDOW_S": "inf"},
    ],
)
def test_unusable_environment_raises_config_error_without_echoing_keys(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert "lonely-secret" not in str(raised.value)


def test_an_operation_mapped_to_an_unknown_bucket_is_refused() -> None:
    with pytest.raises(ConfigError):
        Settings(api_keys={"k": "t"}, operation_buckets={"addDncEntry": "nope"})


def test_repr_names_teams_but_never_keys() -> None:
    text = repr(Settings(api_keys={"very-secret-key": "team_x"}))
    assert "team_x" in text
    assert "very-secret-key" not in text


def test_explicit_overrides_beat_the_environment() -> None:
    env = {"DNC_API_KEYS": "k:a", "DNC_RATE_WINDOW_S": "5", "DNC_DB": "env.db"}
    settings = Settings.from_env(env, rate_window_s=2.0, db_path="flag.db")
    assert (settings.rate_window_s, settings.db_path) == (2.0, "flag.db")
    unset = Settings.from_env(env, rate_window_s=None)
    assert unset.rate_window_s == 5.0


def test_default_api_keys_apply_only_without_dnc_api_keys() -> None:
    assert dict(Settings.from_env({}, default_api_keys={"demo": "t"}).api_keys) == {"demo": "t"}
    chosen = Settings.from_env({"DNC_API_KEYS": "mine:t2"}, default_api_keys={"demo": "t"})
    assert dict(chosen.api_keys) == {"mine": "t2"}
