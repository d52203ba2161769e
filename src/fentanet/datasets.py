"""The shared research datasets: where they are and how to load them by name.

The data live outside the package, in ``../shared/data`` from the project root (set
``FENTANET_DATA`` to point elsewhere). They are never copied into the project; when the
folder is absent, :func:`data_dir` returns ``None`` and callers (tests, the demo) skip
or fall back to generated networks.

>>> net = load("caviar")            # doctest: +SKIP
>>> net.n_actors, net.n_links        # doctest: +SKIP
(110, 295)
"""

from __future__ import annotations

from pathlib import Path

from fentanet.network.datasets import DATASETS, data_dir, main_checkout, path, resolve
from fentanet.network.model import Network

__all__ = ["DATASETS", "data_dir", "load", "main_checkout", "path", "read_phases", "resolve"]

def load(name: str, **options) -> Network:
    """Load a named shared dataset (see :data:`DATASETS`).

    ``caviar_phases`` gives one network of the 11 CAVIAR wiretap phases, with the phase
    of each link in the ``phase`` column (1-11); ``net.at_phase(p)`` gives one phase. It
    is a folder of per-phase files, read as ``read(folder)`` reads any such folder.
    The Montagna edge lists load as the authors load them: undirected, a repeated pair
    keeping the weight of its last line.
    """
    from fentanet.network.io import read

    net = read(path(name), **options)
    net.name = name
    return net


def read_phases(files: list[Path], *, name: str = "", phases: list | None = None) -> Network:
    """One network from several files, each one phase (see
    :func:`fentanet.network.io.folder.read_phases`; ``read(folder)`` reads a whole folder
    of phase files)."""
    from fentanet.network.io.folder import read_phases as read_files

    return read_files(files, phases=phases, name=name)
