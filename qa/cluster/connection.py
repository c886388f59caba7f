"""Joining the Ray cluster: Ray imported only here and only when asked for, an unreachable head said in one line
(``ClusterUnavailable``)."""

from __future__ import annotations

import os

from qa.errors import QAError

# The Ray namespace of the shard actors (named and detached: they stay loaded between runs).
NAMESPACE = "qa"


class ClusterUnavailable(QAError):
    """Ray missing, the cluster unreachable, or a shard that cannot answer."""

    exit_code = 9


def _ray():
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable("--cluster needs Ray: run `.venv/bin/pip install -e '.[cluster]'`") from None
    return ray


def connect(address: str):
    """Join the cluster at ``address`` (host:port of its head, or ``auto``) as a driver; the ray module."""
    # Otherwise ray.init may swap a loopback address for another address of this machine.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = _ray()
    if ray.is_initialized():
        return ray
    _probe(address)
    import logging

    try:
        ray.init(
            address=address,
            namespace=NAMESPACE,
            log_to_driver=False,
            logging_level=logging.ERROR,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError, OSError, TimeoutError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {reason[:200]}") from None
    return ray


def _probe(address: str) -> None:
    """A head that does not listen is said in one line at once (ray.init would retry for minutes)."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", a ray:// client address: left to ray.init
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ClusterUnavailable(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc.__class__.__name__}):"
            " start it (`ray start --head`) or pass the address of its head to --cluster / QA_CLUSTER"
        ) from None
