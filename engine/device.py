"""Device selection and the mixed-precision policy (bf16 autocast + channels_last on CUDA)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from engine.errors import DeviceError

SUPPORTED = ("cpu", "cuda", "mps")


def pick_device(name: str | None = None) -> torch.device:
    """``name`` ("cuda", "cpu", "cuda:1", "mps"), else CUDA when present, then Apple's MPS,
    then the CPU (its threads capped by :func:`use_threads`)."""
    if name:
        try:
            dev = torch.device(name)
        except (RuntimeError, ValueError):
            raise DeviceError(f"unknown device '{name}'; use cpu, cuda, cuda:N or mps") from None
        return use_threads(require_device(dev))
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return use_threads(torch.device("cpu"))


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def use_threads(device: torch.device) -> torch.device:
    """On the CPU, at most one torch thread per core this process may use: torch counts
    the machine's cores, which oversubscribes a container or affinity mask limited to
    fewer (a lower count someone chose is kept)."""
    if device.type == "cpu":
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:   # not Linux
            cores = os.cpu_count() or 1
        if torch.get_num_threads() > cores:
            torch.set_num_threads(max(1, cores))
    return device


def require_device(device: torch.device) -> torch.device:
    """``device``, or a DeviceError when it is a kind the engine does not run on or a GPU
    this machine does not have."""
    if device.type not in SUPPORTED:
        raise DeviceError(f"the engine does not run on '{device.type}' devices; use cpu, "
                          "cuda or mps")
    if device.type == "mps" and not _mps_available():
        raise DeviceError("Apple's MPS was asked for, but this PyTorch or machine has none; "
                          "use the CPU (--device cpu)")
    if device.type == "cuda" and not torch.cuda.is_available():
        why = ("this PyTorch is built without CUDA" if torch.version.cuda is None
               else "no CUDA GPU or driver is available")
        raise DeviceError(f"a CUDA GPU was asked for, but {why}; use the CPU (--device cpu, "
                          "slower) or install a CUDA build of PyTorch")
    if device.type == "cuda" and device.index is not None \
            and device.index >= torch.cuda.device_count():
        raise DeviceError(f"there is no GPU {device} (this machine has "
                          f"{torch.cuda.device_count()}); pick another, or the CPU")
    return device


@contextlib.contextmanager
def out_of_memory_as_error(device: torch.device, what: str) -> Iterator[None]:
    """Turn running out of GPU memory during ``what`` into a DeviceError saying what to do."""
    try:
        yield
    except RuntimeError as exc:   # torch.cuda.OutOfMemoryError is a RuntimeError
        if not (isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc)):
            raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()   # so the app can go on using the GPU afterwards
        raise DeviceError(
            f"{device_name(device)} ran out of memory during {what}; close other programs "
            "using the GPU and run again (training resumes from its last checkpoint), run on "
            "the CPU (--device cpu, slower), or start a new run with the quick profile "
            "(smaller networks)") from None


@contextlib.contextmanager
def autocast(device: torch.device) -> Iterator[None]:
    """bf16 autocast on CUDA; plain fp32 elsewhere (CPU bf16 is slower on most CPUs)."""
    if device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


def memory_format(device: torch.device) -> torch.memory_format:
    return torch.channels_last if device.type == "cuda" else torch.contiguous_format


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "mps (Apple GPU)" if device.type == "mps" else "cpu"


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float | None:
    """Peak allocated GPU memory since the last reset, in MiB (None on CPU)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return None


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
