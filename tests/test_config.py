"""qa.config.Settings: every option the environment sets, read once, each with its variable and default."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from qa.config import DEFAULT_CLUSTER_TIMEOUT, Settings
from qa.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent


class _Recording(dict):
    """An environment that remembers every variable asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


def test_an_empty_environment_gives_the_defaults():
    settings = Settings.from_env({})
    assert settings.model is None and settings.collection is None and settings.cluster is None
    assert settings.hyperlinks is None and settings.cluster_timeout == DEFAULT_CLUSTER_TIMEOUT == 120
    assert settings.llm_url is None and settings.llm_model is None and settings.llm_api_key is None
    user_data = Path(platformdirs.user_data_dir("qa", appauthor=False))
    assert settings.data_dir == user_data and settings.history_path == user_data / "history.db"
    assert settings.cache_dir == Path(platformdirs.user_cache_dir("qa", appauthor=False))
    assert settings.hf_home == Path.home() / ".cache" / "huggingface"


def test_each_variable_sets_its_option(tmp_path):
    settings = Settings.from_env(
        {
            "QA_MODEL": "some/model",
            "QA_COLLECTION": "notes",
            "QA_DATA_DIR": str(tmp_path / "data"),
            "QA_HISTORY": str(tmp_path / "h.db"),
            "QA_CACHE_DIR": str(tmp_path / "cache"),
            "HF_HOME": str(tmp_path / "hf"),
            "QA_HYPERLINKS": "1",
            "QA_CLUSTER": "10.0.0.1:6379",
            "QA_CLUSTER_TIMEOUT": "30.5",
            "QA_LLM_URL": " http://localhost:11434/v1 ",
            "QA_LLM_MODEL": "llama3.2",
            "QA_LLM_API_KEY": "sk-secret",
        }
    )
    assert settings == Settings(
        model="some/model",
        collection="notes",
        data_dir=tmp_path / "data",
        history_path=tmp_path / "h.db",
        cache_dir=tmp_path / "cache",
        hf_home=tmp_path / "hf",
        hyperlinks=True,
        cluster="10.0.0.1:6379",
        cluster_timeout=30.5,
        llm_url="http://localhost:11434/v1",
        llm_model="llama3.2",
        llm_api_key="sk-secret",
    )
    assert "sk-secret" not in repr(settings)  # the key is never printed


def test_empty_values_mean_unset_but_an_empty_cache_dir_turns_the_cache_off():
    empty = Settings.from_env(dict.fromkeys(Settings.variables(), ""))
    default = Settings.from_env({})
    assert empty.cache_dir is None  # QA_CACHE_DIR="": prepared weights are kept in memory only
    for name in ("model", "collection", "cluster", "hyperlinks", "data_dir", "history_path", "cluster_timeout"):
        assert getattr(empty, name) == getattr(default, name), name
    assert empty.llm_url is None and empty.llm_model is None and empty.llm_api_key is None


def test_paths_expand_the_home_folder():
    settings = Settings.from_env({"QA_DATA_DIR": "~/qa-data", "QA_HISTORY": "~/h.db", "QA_CACHE_DIR": "~/c"})
    home = Path.home()
    assert (settings.data_dir, settings.history_path, settings.cache_dir) == (
        home / "qa-data",
        home / "h.db",
        home / "c",
    )


@pytest.mark.parametrize("value, wanted", [("1", True), ("0", False), ("", None), ("yes", None)])
def test_hyperlinks_are_on_off_or_left_to_the_terminal(value, wanted):
    assert Settings.from_env({"QA_HYPERLINKS": value}).hyperlinks is wanted


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf", "1e999"])
def test_a_cluster_timeout_that_is_no_positive_number_is_one_usage_error(value):
    with pytest.raises(UsageError, match=r"^QA_CLUSTER_TIMEOUT must be a positive number of seconds, not '"):
        Settings.from_env({"QA_CLUSTER_TIMEOUT": value})


def test_the_cli_says_a_bad_setting_in_one_line(tmp_path):
    """The entry point reads the process's environment (main given no settings): a bad value there is one line."""
    env = {
        "QA_CLUSTER_TIMEOUT": "x" * 500,
        "QA_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fake_qa.py"), "list"], env=env, capture_output=True, text=True
    )
    assert run.returncode == UsageError.exit_code, run.stderr
    err = run.stderr
    assert (
        run.stdout == ""
        and err.count("\n") == 1
        and err.startswith("qa: QA_CLUSTER_TIMEOUT must be")
        and len(err) < 120
    )


def test_the_cluster_module_reads_no_setting_when_imported():
    env = {"QA_CLUSTER_TIMEOUT": "soon", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-c", "import qa.cluster"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_settings_read_the_variables_they_declare_and_no_other():
    environ = _Recording()
    Settings.from_env(environ)
    assert environ.asked == set(Settings.variables()) - {"XDG_DATA_HOME", "XDG_CACHE_HOME"}  # those: platformdirs'


def test_the_readme_lists_every_qa_variable_of_the_settings_and_no_other():
    readme = set(re.findall(r"\bQA_[A-Z0-9_]+", (ROOT / "README.md").read_text(encoding="utf-8")))
    declared = {name for name in Settings.variables() if name.startswith("QA_")}
    assert readme == declared


def test_every_option_says_its_variable_and_default():
    source = (ROOT / "qa" / "config.py").read_text(encoding="utf-8")
    for field_name, variable in ((f, v) for v, f in Settings.variables().items() if v.startswith("QA_")):
        documented = re.search(rf"\n    {field_name}: [^\n]*\n    \"\"\"``{variable}``: ", source)
        assert documented, f"{field_name} has no docstring naming {variable}"


def test_the_engine_takes_the_settings_or_reads_the_environment(tmp_path, monkeypatch):
    from qa.api import Engine
    from qa.tui.freshness import renewed

    given = Settings(model="fake-hash-48", cache_dir=None)
    engine = Engine(index_dir=tmp_path, settings=given)
    assert engine.settings is given and renewed(engine).settings is given  # the chat's refresh keeps them
    monkeypatch.setenv("QA_MODEL", "from-the-environment")
    assert Engine(index_dir=tmp_path).settings.model == "from-the-environment"


def test_llm_settings_come_from_the_settings_the_options_first():
    from qa.llm import LLMSettings

    settings = Settings.from_env({"QA_LLM_URL": "http://x/v1", "QA_LLM_MODEL": "m", "QA_LLM_API_KEY": "k"})
    llm = LLMSettings.from_settings(settings)
    assert (llm.url, llm.model, llm.api_key) == ("http://x/v1", "m", "k")
    assert LLMSettings.from_settings(settings, url="http://y/v1", model="n").model == "n"
    assert LLMSettings.from_settings(settings, url="") is None  # --llm-url "" turns it off
    assert LLMSettings.from_settings(Settings()) is None
