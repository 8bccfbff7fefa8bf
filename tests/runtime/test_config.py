from __future__ import annotations

import pytest

from polystack import config


def test_defaults():
    cfg = config.load(None, environ={})
    assert cfg.bind == "127.0.0.1"
    assert str(cfg.data_dir) == "polystack-data"
    assert cfg.redis.port == 6379 and cfg.zookeeper.port == 2181
    assert cfg.redis.appendfsync == "everysec"


def test_precedence_file_env_flags(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('bind = "0.0.0.0"\n[redis]\nport = 7000\nappendfsync = "always"\n')
    cfg = config.load(f, environ={})
    assert cfg.bind == "0.0.0.0" and cfg.redis.port == 7000 and cfg.redis.appendfsync == "always"
    cfg = config.load(f, environ={"POLYSTACK_REDIS_PORT": "7001", "POLYSTACK_BIND": "127.0.0.2"})
    assert cfg.redis.port == 7001 and cfg.bind == "127.0.0.2"
    cfg = config.load(f, {"redis.port": 7002}, environ={"POLYSTACK_REDIS_PORT": "7001"})
    assert cfg.redis.port == 7002


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"redis.appendfsync": "sometimes"},
            "redis.appendfsync: must be one of always, everysec, no",
        ),
        ({"redis.port": 70000}, "redis.port: must be between 0 and 65535"),
        ({"only": "redis,memcached"}, "only: unknown system 'memcached'"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(config.ConfigError) as e:
        config.load(None, overrides, environ={})
    assert message in str(e.value)


def test_bad_env_value():
    with pytest.raises(config.ConfigError, match="redis.port: expected an integer, got 'abc'"):
        config.load(None, environ={"POLYSTACK_REDIS_PORT": "abc"})


def test_unknown_file_key(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[redis]\nprot = 1\n")
    with pytest.raises(config.ConfigError, match="redis.prot: unknown configuration key"):
        config.load(f, environ={})


def test_bad_toml(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[redis\n")
    with pytest.raises(config.ConfigError, match="config file"):
        config.load(f, environ={})


def test_top_level_runtime_keys(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        'shutdown_timeout = 3\nmemory_high_watermark = "2GiB"\ndisk_free_limit = "1GB"\n'
        "[zookeeper]\nclient_output_limit = 1000\n"
    )
    cfg = config.load(f, environ={"POLYSTACK_ZOOKEEPER_FSYNC": "no"})
    assert cfg.shutdown_timeout == 3.0 and cfg.memory_high_watermark == "2GiB"
    assert cfg.disk_free_limit == "1GB"
    assert cfg.zookeeper.client_output_limit == 1000 and cfg.zookeeper.fsync == "no"
    with pytest.raises(config.ConfigError, match="disk_free_limit: expected a size"):
        config.load(None, {"disk_free_limit": "plenty"}, environ={})
    with pytest.raises(config.ConfigError, match="memory_high_watermark"):
        config.load(None, {"memory_high_watermark": "half"}, environ={})


def test_sections_come_from_the_specs():
    from polystack import systems

    cfg = config.load(None, environ={})
    assert set(cfg.sections) == set(systems.specs())
    for name, spec in systems.specs().items():
        assert isinstance(cfg.section(name), spec.config)
        assert getattr(cfg, name).port == spec.default_port


def test_redis_output_limits_are_validated():
    with pytest.raises(
        config.ConfigError, match="client_output_buffer_limit: Invalid client class"
    ):
        config.load(None, {"redis.client_output_buffer_limit": "bogus 1 2 3"}, environ={})


@pytest.fixture
def ghost_system(monkeypatch):
    """A known system whose spec module does not exist (not implemented in this version)."""
    from polystack import systems

    monkeypatch.setitem(systems.SPEC_MODULES, "ghost", "polystack.ghost.spec")
    monkeypatch.setattr(systems, "KNOWN", (*systems.KNOWN, "ghost"))
    systems.specs.cache_clear()
    yield "ghost"
    systems.specs.cache_clear()


def test_a_system_without_spec_is_not_available(ghost_system, tmp_path):
    from click.testing import CliRunner

    from polystack import cli, systems

    assert systems.unavailable() == [ghost_system]
    with pytest.raises(config.NotAvailable, match="ghost is not available in this version"):
        config.load(None, {"only": "redis,ghost"}, environ={})
    f = tmp_path / "p.toml"
    f.write_text("[ghost]\nport = 1\n")
    cfg = config.load(f, environ={})
    assert cfg.ignored == {"ghost": {"port": 1}} and "ghost" not in cfg.chosen
    assert config.build_server(cfg).unavailable == ["ghost"]  # listed in the banner
    result = CliRunner().invoke(cli.main, ["serve", "--only", "ghost", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"polystack: ghost is not available in this version of polystack "
        f"(available: {', '.join(systems.specs())})"
    ]


def test_spec_commands_are_polystack_sub_commands():
    from click.testing import CliRunner

    from polystack import cli, systems

    out = CliRunner().invoke(cli.main, ["--help"]).output
    for spec in systems.specs().values():
        for c in spec.commands:
            assert f"  {c.name} " in out
