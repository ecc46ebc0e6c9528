"""Configuration of ``lotto serve``: flags, environment, plugin.json defaults, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kvstore.backends import redact
from shim.config import load, parser
from shim.errors import ConfigError
from tests.shim.conftest import ROOT, serve_once, shim_env

T1, T2 = "a" * 26, "b" * 26
BASE = {
    "LOTTO_STORE": "redis://127.0.0.1:6379/0",
    "LOTTO_MATTERMOST_URL": "https://chat.example.com/",
    "LOTTO_BOT_TOKEN": "bot",
    "LOTTO_SLASH_TOKEN": f"{T1}, {T2}",
}


def test_environment_and_plugin_json_defaults():
    c = load([], BASE)
    assert (c.host, c.port) == ("127.0.0.1", 8065)
    assert c.mattermost_url == "https://chat.example.com"
    assert c.slash_tokens == ((T1, ""), (T2, ""))
    assert c.plugin_id == json.loads((ROOT / "plugin.json").read_text())["id"]
    assert (c.admin_log_level, c.admin_log_verbose, c.admin_user_ids) == (
        "none",
        False,
        frozenset(),
    )
    assert c.autopilot_interval == 60


def test_flags_win_over_environment():
    c = load(
        [
            "--listen",
            "0.0.0.0:9000",
            "--admin-user-ids",
            "a,b",
            "--admin-log-level",
            "WARN",
            "--autopilot-interval",
            "0",
            "--admin-log-verbose",
            "true",
        ],
        {**BASE, "LOTTO_LISTEN": "1.2.3.4:1"},
    )
    assert (c.host, c.port, c.admin_user_ids) == ("0.0.0.0", 9000, frozenset({"a", "b"}))
    assert (c.admin_log_level, c.autopilot_interval, c.admin_log_verbose) == ("warn", 0, True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"LOTTO_STORE": ""}, "missing --store"),
        ({"LOTTO_STORE": "postgres://x"}, "redis://"),
        ({"LOTTO_MATTERMOST_URL": "chat.example.com"}, "http(s) URL"),
        ({"LOTTO_BOT_TOKEN": " "}, "missing --bot-token"),
        (
            {"LOTTO_BOT_TOKEN": "", "LOTTO_MATTERMOST_URL": ""},
            "missing --mattermost-url (LOTTO_MATTERMOST_URL), --bot-token",
        ),
        ({"LOTTO_SLASH_TOKEN": ""}, "--slash-token"),
        ({"LOTTO_SECRET": "short"}, "at least 16"),
        ({"LOTTO_LISTEN": "localhost"}, "HOST:PORT"),
        ({"LOTTO_LISTEN": "localhost:99999"}, "HOST:PORT"),
        ({"LOTTO_ADMIN_LOG_LEVEL": "loud"}, "must be one of"),
        ({"LOTTO_AUTOPILOT_INTERVAL": "-1"}, ">= 0"),
        ({"LOTTO_AUTOPILOT_INTERVAL": "soon"}, ">= 0"),
        ({"LOTTO_ADMIN_LOG_VERBOSE": "maybe"}, "true or false"),
        ({"LOTTO_AUTOPILOT_INTERVAL": "0.001"}, "0 \\(off\\) or >= 1"),
    ],
)
def test_invalid_configuration_is_named(change, message):
    pattern = message if "\\" in message else message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ConfigError, match=pattern):
        load([], {**BASE, **change})


def test_bad_plugin_json_is_a_config_error(tmp_path):
    bad = tmp_path / "plugin.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="plugin manifest"):
        load(["--plugin-json", str(bad)], BASE)


def test_builtin_defaults_equal_the_repository_plugin_json():
    # They stand in for plugin.json where it isn't installed: they must not drift apart.
    from shim.config import BUILTIN_DEFAULTS

    manifest = json.loads((ROOT / "plugin.json").read_text(encoding="utf-8"))
    in_manifest = {s["key"]: s["default"] for s in manifest["settings_schema"]["settings"]}
    assert dict(BUILTIN_DEFAULTS) == {"id": manifest["id"], **in_manifest}


def test_without_plugin_json_the_builtin_defaults_are_used(tmp_path, monkeypatch):
    import shim.config
    from lotto import PLUGIN_ID

    monkeypatch.setattr(shim.config, "PLUGIN_JSON", tmp_path / "plugin.json")  # not there
    c = load([], BASE)
    assert c.plugin_id == PLUGIN_ID
    assert (c.admin_log_level, c.admin_log_verbose, c.admin_user_ids) == (
        "none",
        False,
        frozenset(),
    )
    assert load(["--admin-log-level", "error"], BASE).admin_log_level == "error"
    with pytest.raises(
        ConfigError, match="plugin manifest"
    ):  # a manifest named but missing is an error
        load(["--plugin-json", str(tmp_path / "plugin.json")], BASE)


def test_an_install_without_plugin_json_needs_no_lotto_plugin_json(tmp_path):
    # What a plain `pip install .` puts in site-packages: the packages, no plugin.json.
    import shutil

    for package in ("kvstore", "lotto", "shim"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    code = (
        "import shim.config as c; from lotto import PLUGIN_ID; cfg = c.load([], {"
        + ", ".join(f"{k!r}: {v!r}" for k, v in BASE.items())
        + "}); assert not c.PLUGIN_JSON.exists(); "
        "print(cfg.plugin_id == PLUGIN_ID, cfg.admin_log_level)"
    )
    env = shim_env(PYTHONPATH=str(tmp_path))  # and no LOTTO_PLUGIN_JSON
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "none"]


def test_serve_with_missing_configuration_exits_2_with_a_message():
    code = "import sys; from shim.entry import main; sys.exit(main(['lotto', 'serve']))"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=shim_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr and "--store" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_with_an_unreachable_mattermost_exits_1(tmp_path):
    proc = serve_once(
        LOTTO_STORE="memory://",
        LOTTO_MATTERMOST_URL="http://127.0.0.1:9",
        LOTTO_BOT_TOKEN="x",
        LOTTO_SLASH_TOKEN="t" * 26,
    )
    assert proc.returncode == 1
    assert "cannot use Mattermost" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_debug_endpoints_only_by_an_explicit_flag_and_with_a_secret():
    env = {**BASE, "LOTTO_SECRET": "s" * 16}
    assert load([], {**env, "LOTTO_DEBUG_ENDPOINTS": "true"}).debug_endpoints is False
    assert load(["--debug-endpoints"], env).debug_endpoints is True
    with pytest.raises(ConfigError, match="needs --secret"):
        load(["--debug-endpoints"], BASE)


def test_store_passwords_never_appear_in_messages():
    with pytest.raises(ConfigError) as err:
        load([], {**BASE, "LOTTO_STORE": "postgres://admin:hunter2@db:5432/x"})
    assert "hunter2" not in str(err.value) and "admin:***@db" in str(err.value)
    assert (
        redact("redis://:s3cret@h:6379/0, https://u:p@x/y")
        == "redis://:***@h:6379/0, https://u:***@x/y"
    )


def test_readme_documents_exactly_the_flags_and_variables_of_lotto_serve():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Deploy with Mattermost") :]
    section = section[: section.index("\n## ", 1)]
    rows = dict(re.findall(r"^\| `(LOTTO_[A-Z_]+)` \| `(--[a-z-]+)` \|", section, flags=re.M))
    in_help = {}
    for action in parser()._actions:
        var = re.search(r"\[(LOTTO_[A-Z_]+)\]", action.help or "")
        if var:
            in_help[var.group(1)] = action.option_strings[0]
    assert rows == in_help
    assert "--debug-endpoints" in section
