"""Settings come from NEWSSTREAMS_* variables only, typed, with secrets kept out of repr."""

import pytest

from streams.settings import Settings


def test_fields_are_read_and_typed_from_the_environment() -> None:
    env = {
        "NEWSSTREAMS_BATCH_SIZE": "8",
        "NEWSSTREAMS_TOPIC_PREFIX": "staging.",
        "NEWSSTREAMS_BATCH_WITHIN": "0.25",
    }
    settings = Settings.from_env(env)
    assert settings.batch_size == 8
    assert settings.batch_within == 0.25
    assert settings.topic("news.quotes") == "staging.news.quotes"


def test_overrides_win_and_bad_numbers_are_named() -> None:
    assert Settings.from_env({"NEWSSTREAMS_PARTITIONS": "2"}, partitions=6).partitions == 6
    with pytest.raises(ValueError, match="NEWSSTREAMS_WEB_PORT"):
        Settings.from_env({"NEWSSTREAMS_WEB_PORT": "eighty"})


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings.from_env(
        {"NEWSSTREAMS_SASL_PASSWORD": "hunter2", "NEWSSTREAMS_DASHBOARD_TOKEN": "tok"}
    )
    assert settings.sasl_password == "hunter2"
    assert "hunter2" not in repr(settings)
    assert "tok" not in repr(settings).replace("topic", "")


def test_bootstrap_servers_drop_the_faust_scheme() -> None:
    settings = Settings(broker="kafka://a:9092;kafka://b:9092")
    assert settings.bootstrap_servers == "a:9092,b:9092"
    assert "NEWSSTREAMS_BROKER" in settings.env_names()
