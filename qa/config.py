"""Every option of qa that the environment sets, with its variable and default, read once.

The entry points (``qa.cli.main``, and through it the chat and the MCP server; ``qa.fit``) call
``Settings.from_env()`` once and pass the settings, or the values from them, to what needs them:
``qa.api.Engine(settings=...)``, ``qa.collections``, ``qa.history.History(settings.history_path)``,
the encoders (their cache of prepared weights), ``qa.cluster.cluster_loader(address, timeout)`` and
``qa.llm.LLMSettings.from_settings``. No other module reads ``os.environ`` for an option of qa.

The user folders (data, cache) come from platformdirs, which follows the XDG variables
(``XDG_DATA_HOME``, ``XDG_CACHE_HOME``) of the process on Linux: ``~/.local/share/qa`` and
``~/.cache/qa`` by default. The process-environment writes meant for libraries (``HF_HUB_OFFLINE=1``
before huggingface_hub loads, Ray's and transformers' switches) are not options: they stay where those
libraries are imported. Nor are the variables of the terminal and the programs it runs (``$TERM``,
``$VISUAL``, ``$EDITOR``, ``$PAGER``): the CLI and the chat read them where they use them, as every
terminal program does.

Imports nothing of qa but its errors, and platformdirs only when a default folder is needed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from qa.errors import UsageError

DEFAULT_CLUSTER_TIMEOUT = 120.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The source checkout's own index and the documents it is built from (none when qa is installed elsewhere).
DEFAULT_INDEX = PROJECT_ROOT / "index"
DEFAULT_DOCUMENTS = PROJECT_ROOT / "seeds"


def _env(*names: str) -> dict:
    """A field's metadata: the environment variables it is read from (tests/test_config.py holds README to them)."""
    return {"env": names}


@dataclass(frozen=True)
class Settings:
    """qa's options from the environment, and where the checkout's default index is; build it with
    ``Settings.from_env()``, or give the fields in tests."""

    model: str | None = field(default=None, metadata=_env("QA_MODEL"))
    """``QA_MODEL``: the sentence-transformers model to index and answer with, when ``--model`` names none.
    None (unset or empty): the model the index was built with, else all-MiniLM-L6-v2 (qa.embedding.DEFAULT_MODEL)."""

    collection: str | None = field(default=None, metadata=_env("QA_COLLECTION"))
    """``QA_COLLECTION``: the named collection used when neither ``--index`` nor ``--collection`` is given.
    None when unset or empty; a bad name is refused where it is used (qa.collections.check_name)."""

    data_dir: Path | None = field(default=None, metadata=_env("QA_DATA_DIR", "XDG_DATA_HOME"))
    """``QA_DATA_DIR``: the folder of the named collections. Default: the user data folder (platformdirs'
    ``user_data_dir("qa")``, ``$XDG_DATA_HOME/qa`` or ``~/.local/share/qa`` on Linux). None: no home folder
    to find it in (said where a collection is needed)."""

    history_path: Path | None = field(default=None, metadata=_env("QA_HISTORY", "XDG_DATA_HOME"))
    """``QA_HISTORY``: the SQLite database of the conversations (qa.history). Default: ``history.db`` in the
    user data folder (not in ``QA_DATA_DIR``, which moves the collections only). None: no home folder."""

    cache_dir: Path | None = field(default=None, metadata=_env("QA_CACHE_DIR", "XDG_CACHE_HOME"))
    """``QA_CACHE_DIR``: where the question encoders keep their prepared weights (qa.embedding.cached_arrays).
    Default: the user cache folder (``$XDG_CACHE_HOME/qa`` or ``~/.cache/qa`` on Linux). Set but empty, or no
    home folder: None, no cache (the weights are prepared in memory each run)."""

    hf_home: Path | None = field(default=None, metadata=_env("HF_HOME"))
    """``HF_HOME``: the Hugging Face folder whose ``hub/`` cache a model named ``owner/name`` is looked up in
    (offline; qa.embedding.resolve_model). Default ``~/.cache/huggingface``; None: no home folder."""

    hyperlinks: bool | None = field(default=None, metadata=_env("QA_HYPERLINKS"))
    """``QA_HYPERLINKS``: ``1`` makes each citation of ``qa ask`` an OSC 8 hyperlink to its file, ``0`` never;
    None (unset or anything else): links on a terminal whose ``$TERM`` is not ``dumb`` or ``linux``."""

    cluster: str | None = field(default=None, metadata=_env("QA_CLUSTER"))
    """``QA_CLUSTER``: the address (host:port) of the Ray cluster to index and answer on, when ``--cluster``
    names none. None (unset or empty): one machine."""

    cluster_timeout: float = field(default=DEFAULT_CLUSTER_TIMEOUT, metadata=_env("QA_CLUSTER_TIMEOUT"))
    """``QA_CLUSTER_TIMEOUT``: seconds a cluster shard has to answer (after Ray's retries) before the question
    is told it is unavailable. Default 120; a value that is not a positive number is a usage error."""

    llm_url: str | None = field(default=None, metadata=_env("QA_LLM_URL"))
    """``QA_LLM_URL``: the OpenAI-compatible endpoint of generated answers, when ``--llm-url`` names none.
    None (unset or blank): extractive answers only. Checked when used (qa.llm.LLMSettings.from_settings)."""

    llm_model: str | None = field(default=None, metadata=_env("QA_LLM_MODEL"))
    """``QA_LLM_MODEL``: the model asked at that endpoint, when ``--llm-model`` names none. None: its first."""

    llm_api_key: str | None = field(default=None, repr=False, metadata=_env("QA_LLM_API_KEY"))
    """``QA_LLM_API_KEY``: the key sent to that endpoint, never printed (kept out of ``repr``). None: no key."""

    default_index: Path = DEFAULT_INDEX
    """The index used when neither ``--index``, ``--collection`` nor ``QA_COLLECTION`` chooses one, from the
    source checkout (``index/``). No variable sets it: tests give a folder of their own."""

    default_documents: Path = DEFAULT_DOCUMENTS
    """What the default index is built from (``seeds/`` of the checkout); not a folder when qa is installed
    elsewhere, and then there is no default index. No variable sets it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings ``environ`` gives (the process environment by default), each default filled in.

        The user folders' defaults come from platformdirs, which reads the XDG variables of the process itself.
        A ``QA_CLUSTER_TIMEOUT`` that is not a positive number is a UsageError (one line, exit status 2).
        """
        data_home = _user_folder("user_data_dir")
        return cls(
            model=environ.get("QA_MODEL") or None,
            collection=environ.get("QA_COLLECTION") or None,
            data_dir=_path(environ.get("QA_DATA_DIR")) or data_home,
            history_path=_path(environ.get("QA_HISTORY")) or (data_home / "history.db" if data_home else None),
            cache_dir=_cache_dir(environ),
            hf_home=_hf_home(environ),
            hyperlinks={"1": True, "0": False}.get(environ.get("QA_HYPERLINKS", "")),
            cluster=environ.get("QA_CLUSTER") or None,
            cluster_timeout=_seconds("QA_CLUSTER_TIMEOUT", environ.get("QA_CLUSTER_TIMEOUT"), DEFAULT_CLUSTER_TIMEOUT),
            llm_url=environ.get("QA_LLM_URL", "").strip() or None,
            llm_model=environ.get("QA_LLM_MODEL", "").strip() or None,
            llm_api_key=environ.get("QA_LLM_API_KEY", "").strip() or None,
        )

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each environment variable read, and the field it sets (the first field that names it)."""
        out: dict[str, str] = {}
        for item in fields(cls):
            for name in item.metadata.get("env", ()):
                out.setdefault(name, item.name)
        return out


def _path(value: str | None) -> Path | None:
    """A folder or file named by a variable, ``~`` expanded; None when unset or empty."""
    return Path(value).expanduser() if value else None


def _user_folder(kind: str) -> Path | None:
    """platformdirs' user folder of ``kind`` (``user_data_dir``, ``user_cache_dir``) for qa; None without a home."""
    import platformdirs

    try:
        return Path(getattr(platformdirs, kind)("qa", appauthor=False))
    except RuntimeError:  # no home folder to put it in (HOME unset and no password entry)
        return None


def _cache_dir(environ: Mapping[str, str]) -> Path | None:
    configured = environ.get("QA_CACHE_DIR")
    if configured is not None:
        return _path(configured)  # set but empty: the cache is off
    return _user_folder("user_cache_dir")


def _hf_home(environ: Mapping[str, str]) -> Path | None:
    if "HF_HOME" in environ:
        return Path(environ["HF_HOME"])  # as huggingface_hub reads it
    try:
        return Path.home() / ".cache" / "huggingface"
    except RuntimeError:
        return None


def _seconds(name: str, value: str | None, default: float) -> float:
    """A positive number of seconds from variable ``name``; ``default`` when unset or empty."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        shown = value if len(value) <= 24 else value[:24] + "…"
        raise UsageError(f"{name} must be a positive number of seconds, not {shown!r}")
    return seconds
