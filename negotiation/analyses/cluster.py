"""A Dask distributed cluster as a `concurrent.futures` executor, for `simulate --scheduler`.

Dask is an optional extra (`pip install 'negotiation[cluster]'`) and is imported only here, only
when a scheduler is asked for. The cluster runs the same `run_chunk` on the same blocks as local
processes would: the random numbers come from (seed, block), never from a worker, so a cluster's
results are byte-identical to a local run's with the same seed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from negotiation.errors import NegotiationError, printable

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before giving up
MISSING = "--scheduler needs the cluster extra: pip install 'negotiation[cluster]'"


class ClusterError(NegotiationError):
    """The cluster cannot be used: its package is missing or its scheduler cannot be reached."""


@dataclass(frozen=True)
class Cluster:
    """An open connection: its executor and how many threads its workers have in all."""

    executor: Executor
    threads: int


@contextmanager
def cluster(address: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[Cluster]:
    """Connect to the scheduler at `address`; ClusterError (one line) if that cannot be done."""
    # imported by name: dask is optional, and its types are not checked here
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise ClusterError(MISSING) from None
    comm: Any = importlib.import_module("distributed.comm")
    try:
        scheme, where = comm.parse_address(address)
        comm.registry.get_backend(scheme)
    except (ValueError, TypeError) as error:
        raise ClusterError(f"'{printable(address)}' is not a scheduler address: {error}") from None
    if not where:
        raise ClusterError(
            f"'{printable(address)}' is not a scheduler address (say tcp://host:8786)"
        )
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ClusterError(
            f"cannot reach the Dask scheduler at '{printable(address)}' within {timeout:g} s: "
            + printable(why)
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(
                f"the Dask scheduler at '{printable(address)}' has no workers "
                f"(none joined within {timeout:g} s)"
            ) from None
        threads = sum(int(n) for n in client.nthreads().values()) or 1
        yield Cluster(client.get_executor(), threads)
    except Exception as error:
        if not type(error).__module__.startswith(("distributed", "tornado")):
            raise
        why = printable(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise ClusterError(f"the Dask cluster at '{printable(address)}' failed: {why}") from None
    finally:
        client.close()
