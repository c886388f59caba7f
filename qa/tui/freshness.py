"""Whether the files an answer cites changed since they were indexed, and a refreshed engine (issue 11).

The loaded engine never re-reads its index: ``Engine.prepare`` returns at once
once loaded. A refresh is therefore a new engine over the same index, whose
``prepare`` (the engine's own freshness check, ``is_stale``) re-reads what
changed and loads the new generation; the chat swaps it in when it is ready.

The check before that offer looks only at the cited files, each compared by
content with what the index read (a touched but unchanged file is not
"changed"; an edit whose times were set back is): a few files per answer, read
in the background.
"""

from __future__ import annotations


def changed_sources(engine, sources: list[str]) -> list[str]:
    """Those of ``sources`` (as citations name them) that changed or went missing since the engine's index
    was built; [] for an engine without a loaded index (the tests' fakes)."""
    manifest = getattr(getattr(engine, "index", None), "manifest", None)
    files = getattr(manifest, "files", None)
    if not files:
        return []
    from qa.documents import DEFAULT_MAX_FILE_BYTES, content_hash, read_file

    max_bytes = int(getattr(manifest, "max_file_bytes", 0) or DEFAULT_MAX_FILE_BYTES)
    changed = []
    for source in dict.fromkeys(sources):
        facts = files.get(source)
        if facts is None:
            continue
        try:
            if content_hash(read_file(manifest.path_of(source), max_bytes)) == facts.get("sha256"):
                continue
        except (OSError, ValueError):
            pass  # gone or unreadable: changed too
        changed.append(source)
    return changed


def renewed(engine):
    """A new engine over the same index and documents; its ``prepare`` refreshes the index and loads it."""
    from qa.api import Engine

    return Engine(
        index_dir=engine.index_dir,
        model=engine.model,
        documents=engine.documents,
        root=engine.root,
        settings=getattr(engine, "settings", None),  # the options the chat started with, not read again
        models=getattr(engine, "models", None),  # and the models it answers with
    )


def can_refresh(engine) -> bool:
    """The engine is one a new engine can be made like (not a test's fake)."""
    return all(hasattr(engine, name) for name in ("index_dir", "model", "documents", "root"))
