"""Load and run a compiled model.so through its C ABI (ctypes).

    model = paso.load("model.so")
    model.inputs          # [TensorInfo(name, dtype, shape), ...]
    outputs = model.run({"input": array})   # {name: ndarray}
"""
import ctypes
from dataclasses import dataclass

import numpy as np

# paso_dtype values are ONNX TensorProto.DataType numbers.
_DTYPES = {
    1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16,
    6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64,
    12: np.uint32, 13: np.uint64,
    16: np.uint16,  # bfloat16: numpy has no such type; the raw 16 bits
}

ABI_VERSION = 5


class PasoError(RuntimeError):
    """A C ABI call returned an error status."""


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("byte_size", ctypes.c_size_t), ("scale", ctypes.c_float),
                ("zero_point", ctypes.c_int32)]


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: np.dtype
    shape: tuple
    byte_size: int
    # Quantised int8/uint8 tensors: real = scale * (q - zero_point);
    # None for any other tensor.
    scale: float = None
    zero_point: int = None


class Model:
    """A loaded model.so. Each Model owns one context (its arena); use one
    Model per thread to run concurrently."""

    def __init__(self, path):
        self.path = str(path)
        self._lib = ctypes.CDLL(self.path, mode=ctypes.RTLD_LOCAL)
        lib = self._lib
        lib.paso_abi_version.restype = ctypes.c_uint32
        if lib.paso_abi_version() != ABI_VERSION:
            raise PasoError(f"{path}: ABI version {lib.paso_abi_version()}, "
                            f"expected {ABI_VERSION}")
        lib.paso_input_info.restype = ctypes.POINTER(_TensorInfo)
        lib.paso_output_info.restype = ctypes.POINTER(_TensorInfo)
        lib.paso_status_string.restype = ctypes.c_char_p
        lib.paso_gpu_error.restype = ctypes.c_char_p
        self.uses_gpu = bool(lib.paso_uses_gpu())
        lib.paso_model_name.restype = ctypes.c_char_p
        lib.paso_target_name.restype = ctypes.c_char_p
        lib.paso_arena_size.restype = ctypes.c_size_t
        lib.paso_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_size_t),
                                 ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_size_t)]
        lib.paso_context_destroy.argtypes = [ctypes.c_void_p]
        self.inputs = [self._info(lib.paso_input_info(i))
                       for i in range(lib.paso_num_inputs())]
        self.outputs = [self._info(lib.paso_output_info(i))
                        for i in range(lib.paso_num_outputs())]
        self.name = lib.paso_model_name().decode()
        self.target = lib.paso_target_name().decode()
        self.arena_size = lib.paso_arena_size()
        self._context = ctypes.c_void_p()
        self._check(lib.paso_context_create(ctypes.byref(self._context)))
        # The argument arrays of paso_run, built once: for a small model the
        # Python side of a run costs as much as the model itself.
        n_in, n_out = max(len(self.inputs), 1), max(len(self.outputs), 1)
        self._in_ptrs = (ctypes.c_void_p * n_in)()
        self._in_sizes = (ctypes.c_size_t * n_in)(*[i.byte_size for i in self.inputs])
        self._out_ptrs = (ctypes.c_void_p * n_out)()
        self._out_sizes = (ctypes.c_size_t * n_out)(*[o.byte_size for o in self.outputs])
        self._run = lib.paso_run

    @staticmethod
    def _info(pointer):
        info = pointer.contents
        shape = tuple(info.shape[d] for d in range(info.rank))
        quantised = info.scale != 0
        return TensorInfo(info.name.decode(), np.dtype(_DTYPES[info.dtype]),
                          shape, info.byte_size,
                          float(info.scale) if quantised else None,
                          int(info.zero_point) if quantised else None)

    def _check(self, status):
        if status != 0:
            message = self._lib.paso_status_string(status).decode()
            if status in (4, 5):  # PASO_ERROR_NO_GPU, PASO_ERROR_GPU
                message += ": " + self._lib.paso_gpu_error().decode()
            raise PasoError(message)

    def run(self, feeds):
        """Runs one inference; `feeds` maps input names to arrays."""
        missing = [i.name for i in self.inputs if i.name not in feeds]
        if missing:
            raise KeyError(f"missing inputs: {', '.join(missing)}")
        arrays = []
        for index, info in enumerate(self.inputs):
            # asarray, not ascontiguousarray, which turns scalars into 1-D.
            array = np.asarray(feeds[info.name], dtype=info.dtype, order="C")
            if array.shape != info.shape:
                raise ValueError(f"input '{info.name}' has shape {array.shape}, "
                                 f"expected {info.shape}")
            arrays.append(array)  # alive until paso_run returns
            self._in_ptrs[index] = array.ctypes.data
        results = []
        for index, info in enumerate(self.outputs):
            result = np.empty(info.shape, info.dtype)
            results.append(result)
            self._out_ptrs[index] = result.ctypes.data
        self._check(self._run(self._context, self._in_ptrs, self._in_sizes,
                              self._out_ptrs, self._out_sizes))
        return {info.name: r for info, r in zip(self.outputs, results)}

    def set_num_threads(self, threads):
        """Threads a run may use (0: $PASO_NUM_THREADS, else all cores)."""
        self._lib.paso_set_num_threads(ctypes.c_int32(threads))

    @property
    def num_threads(self):
        return self._lib.paso_get_num_threads()

    def close(self):
        # A library that failed to load never made a context.
        if getattr(self, "_context", None):
            self._lib.paso_context_destroy(self._context)
            self._context = ctypes.c_void_p()

    def __del__(self):
        self.close()


def load(path):
    """Loads a model.so compiled by paso-opt for this machine, or a .tflite
    it wrote for the Edge TPU (run through LiteRT: paso.tflite)."""
    if str(path).endswith(".tflite"):
        from .tflite import TFLiteModel
        return TFLiteModel(path)
    return Model(path)
