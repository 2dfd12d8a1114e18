"""One home for trained network weights: save, load, shipped-weights lookup.

Every network the package ships (the optics rRIM/FCN/CNN, the gap → α²F
regressors, the conductivity network, the STM detector) is stored as two files:

- the weights, ``NAME.pt`` (a torch ``state_dict``) or ``NAME.npz`` (named
  arrays), written atomically;
- their metadata, ``NAME.json``: the domain's own description (training
  parameters, architecture, …) plus a ``"weights"`` block with the format tag
  :data:`FORMAT`, its version, the kind of network, the script or recipe that
  produced it and the SHA-256 checksum of the weights file.

:func:`load_torch` / :func:`load_npz` verify the metadata (format, version, kind,
checksum) before the weights are read (``weights_only=True`` for torch,
``allow_pickle=False`` for numpy), and :func:`load_state` fits them into a
network; every failure, whatever the cause (missing file, a directory, an
empty or corrupt file, a file of another kind, a checksum mismatch, weights of
another architecture), is an :class:`~specinv.core.errors.InputError` naming
the file and what was expected. Shipped weights live in ``specinv/data/DOMAIN/``
and are found with :func:`shipped`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specinv.core.errors import InputError
from specinv.io.atomic import atomic_path

if TYPE_CHECKING:
    import torch

#: format tag of the ``"weights"`` block of every metadata JSON
FORMAT = "specinv-weights"
#: version of that block; files of a newer version are refused
FORMAT_VERSION = 1


def display(path: str | Path) -> str:
    """``path`` as text safe to print: non-printable characters escaped.

    Parameters
    ----------
    path : str or Path
        Any path (a file name from the command line, perhaps with control characters).

    Returns
    -------
    str
        The path as text, with non-printable characters as Python escapes.
    """
    text = str(path)
    return text if text.isprintable() else ascii(text)[1:-1]


def metadata_path(path: str | Path) -> Path:
    """The metadata JSON of weights file ``path`` (same stem, suffix ``.json``).

    Parameters
    ----------
    path : str or Path
        Weights file (``.pt`` or ``.npz``).

    Returns
    -------
    Path
        ``path`` with the suffix ``.json``.
    """
    return Path(path).with_suffix(".json")


def sha256(path: str | Path) -> str:
    """Hex SHA-256 digest of the file ``path``.

    Parameters
    ----------
    path : str or Path
        Any readable file.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _save(path: str | Path, write: Callable[[Path], None], metadata: dict[str, Any], *,
          kind: str, recipe: str) -> Path:
    p = Path(path)
    if p.suffix == ".json":
        raise InputError("a weights file cannot have the suffix .json (its metadata's)",
                         display(p))
    with atomic_path(p) as tmp_weights, atomic_path(metadata_path(p)) as tmp_meta:
        write(tmp_weights)
        block = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind, "file": p.name,
                 "sha256": sha256(tmp_weights), "recipe": recipe}
        tmp_meta.write_text(json.dumps({**metadata, "weights": block}, indent=1,
                                       default=_jsonable) + "\n")
    return p


def save_torch(path: str | Path, state: dict[str, Any], metadata: dict[str, Any], *,
               kind: str, recipe: str) -> Path:
    """Write a torch ``state_dict`` to ``path`` and its metadata to ``path.json``.

    Parameters
    ----------
    path : str or Path
        Weights file (conventionally ``.pt``).
    state : dict
        ``module.state_dict()``.
    metadata : dict
        JSON-serializable description (training parameters, architecture); the
        key ``"weights"`` is reserved for the format block.
    kind : str
        Kind of network (checked by :func:`load_torch`), e.g. ``"optics-model"``.
    recipe : str
        The script or command that produced the weights.

    Returns
    -------
    Path
        ``path``.
    """
    import torch

    return _save(path, lambda tmp: torch.save(state, tmp), metadata, kind=kind, recipe=recipe)


def save_npz(path: str | Path, arrays: dict[str, np.ndarray], metadata: dict[str, Any], *,
             kind: str, recipe: str) -> Path:
    """Write named arrays to a compressed ``path`` (.npz) and its metadata to ``path.json``.

    Parameters
    ----------
    path : str or Path
        Weights file (``.npz``).
    arrays : dict of str to ndarray
        Numeric arrays (no objects).
    metadata, kind, recipe
        As for :func:`save_torch`.

    Returns
    -------
    Path
        ``path``.
    """
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    return _save(path, write, metadata, kind=kind, recipe=recipe)


def read_metadata(path: str | Path, kind: str) -> dict[str, Any]:
    """Metadata of weights file ``path`` after checking format, kind and checksum.

    Parameters
    ----------
    path : str or Path
        Weights file; its metadata is :func:`metadata_path`.
    kind : str
        Expected kind of network.

    Returns
    -------
    dict
        The metadata JSON (with its ``"weights"`` block).

    Raises
    ------
    InputError
        Either file missing or unreadable, metadata that is not specinv weights
        metadata, another kind or a newer format, or a checksum mismatch.
    """
    p = Path(path)
    name = display(p)
    expected = f"expected {kind} weights (.pt or .npz) with their metadata .json beside them"
    if p.suffix == ".json":
        raise InputError(f"this is a metadata file; give the weights file instead ({expected})",
                         name)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "not found"
        raise InputError(f"weights file {what} ({expected})", name)
    if p.stat().st_size == 0:
        raise InputError(f"empty file ({expected})", name)
    mp = metadata_path(p)
    try:
        meta = json.loads(mp.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"metadata {display(mp.name)} not found beside the weights "
                         f"({expected})", name) from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(f"metadata {display(mp.name)} is not readable JSON ({expected})",
                         name) from None
    block = meta.get("weights") if isinstance(meta, dict) else None
    if not isinstance(block, dict) or block.get("format") != FORMAT:
        raise InputError(f"{display(mp.name)} is not specinv weights metadata (no "
                         f"'weights' block with format {FORMAT!r}; {expected})", name)
    if not isinstance(block.get("version"), int) or block["version"] > FORMAT_VERSION:
        raise InputError(f"weights format version {block.get('version')!r} is not supported "
                         f"(this specinv reads version <= {FORMAT_VERSION})", name)
    if block.get("kind") != kind:
        raise InputError(f"these are {display(block.get('kind'))} weights, not {kind}", name)
    if block.get("sha256") != sha256(p):
        raise InputError(f"checksum mismatch: the file differs from the one its metadata "
                         f"{display(mp.name)} describes (corrupt or replaced)", name)
    return meta


def load_torch(path: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verified metadata, then the torch ``state_dict`` of ``path`` (tensors only).

    Parameters
    ----------
    path : str or Path
        ``.pt`` weights file written by :func:`save_torch`.
    kind : str
        Expected kind of network.

    Returns
    -------
    state : dict
        Tensors by parameter name (on the CPU).
    metadata : dict
        See :func:`read_metadata`.

    Raises
    ------
    InputError
        See :func:`read_metadata`; also a file torch cannot read as plain tensors.
    """
    import torch

    meta = read_metadata(path, kind)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any failure of the reader is a bad file
        state = None
    if not isinstance(state, dict):
        raise InputError(f"not a torch state_dict (expected {kind} weights written by "
                         "specinv)", display(path))
    return state, meta


def load_npz(path: str | Path, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Verified metadata, then every array of the ``.npz`` ``path`` (no pickles).

    Parameters
    ----------
    path : str or Path
        ``.npz`` weights file written by :func:`save_npz`.
    kind : str
        Expected kind of network.

    Returns
    -------
    arrays : dict of str to ndarray
        Every array of the archive by name (numeric dtypes only).
    metadata : dict
        See :func:`read_metadata`.

    Raises
    ------
    InputError
        See :func:`read_metadata`; also a file that is not a numeric ``.npz`` archive.
    """
    meta = read_metadata(path, kind)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception:  # noqa: BLE001 - any failure of the reader is a bad file
        arrays = None
    if arrays is None or not all(a.dtype.kind in "biuf" for a in arrays.values()):
        raise InputError(f"not a numeric .npz archive (expected {kind} weights written by "
                         "specinv)", display(path))
    return arrays, meta


def load_state(module: torch.nn.Module, state: dict[str, Any], path: str | Path) -> None:
    """Load ``state`` into ``module`` (strict) and switch it to eval mode.

    Parameters
    ----------
    module : torch.nn.Module
        Network built from the metadata's architecture.
    state : dict
        ``state_dict`` read by :func:`load_torch` (or assembled from :func:`load_npz`).
    path : str or Path
        The weights file, named in the error.

    Raises
    ------
    InputError
        Missing or unexpected parameters, or tensors of the wrong shape.
    """
    try:
        module.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()
        detail = display(first[1].strip() if len(first) > 1 else first[0])[:200]
        raise InputError(f"weights do not fit the network described by their metadata "
                         f"({detail})", display(path)) from None
    module.eval()


def shipped(domain: str, name: str) -> Path:
    """Path of the shipped weights file ``specinv/data/DOMAIN/NAME``.

    Parameters
    ----------
    domain : str
        Sub-folder of ``specinv/data`` (``optics``, ``gap2a2f``, ``conductivity``, ``stm``).
    name : str
        File name.

    Returns
    -------
    Path
        The path (whether or not the file exists).
    """
    return Path(str(resources.files("specinv") / "data" / domain / name))


def shipped_files(domain: str, prefix: str, suffix: str) -> list[Path]:
    """Shipped weights files in ``specinv/data/DOMAIN`` named ``PREFIX*SUFFIX``, sorted.

    Parameters
    ----------
    domain : str
        Sub-folder of ``specinv/data``.
    prefix, suffix : str
        Start and end of the file names (e.g. ``"rrim_default"``, ``".pt"``).

    Returns
    -------
    list of Path
        Empty when there are none.
    """
    root = shipped(domain, "")
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.name.startswith(prefix) and p.name.endswith(suffix))
