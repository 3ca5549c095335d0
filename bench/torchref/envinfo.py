"""What a timing depends on: the BLAS library actually loaded (read from /proc/self/maps, since
Debian's libblas.so.3 is an alternative that may be the netlib reference BLAS or OpenBLAS), the
OpenBLAS core it chose, thread counts, versions and the CPU."""
import ctypes
import os
import platform

import numpy as np
import torch


def _loaded_libraries(keyword):
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and keyword in os.path.basename(parts[-1]):
                    paths.add(parts[-1])
    except OSError:
        pass
    return sorted(paths)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def environment():
    info = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "loadavg_1min": os.getloadavg()[0],  # the machine is shared: how busy it was
        "nice": os.nice(0),
        "cpu": _cpu_model(),
        "os_cpu_count": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH"),
        "blas_libraries": [os.path.realpath(p) for p in _loaded_libraries("blas")],
    }
    # torch's sgemm_ comes from the file that libblas.so.3 resolved to (OpenBLAS's libblas.so.3
    # is a thin link to libopenblas; the netlib one is the whole reference BLAS). OpenBLAS's own
    # library can be mapped even when it does not serve sgemm_, e.g. through its liblapack.so.3.
    libblas = [p for p in _loaded_libraries("libblas.so")]
    info["libblas_so"] = os.path.realpath(libblas[0]) if libblas else None
    if info["libblas_so"] is None:
        info["blas"] = "none"
    else:
        info["blas"] = "openblas" if "openblas" in info["libblas_so"] else "reference"
    openblas = [p for p in info["blas_libraries"] if "openblas" in os.path.basename(p)]
    if openblas:
        lib = ctypes.CDLL(openblas[0])
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["openblas_core"] = lib.openblas_get_corename().decode()
        info["openblas_config"] = lib.openblas_get_config().decode()
        info["openblas_num_threads"] = lib.openblas_get_num_threads()
    return info
