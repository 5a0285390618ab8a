"""PASO: ahead-of-time compiler for ONNX models on edge devices.

The Python package grows with the compiler; today it holds the model suite
(`paso.model_suite`) that tests and benchmarks compile.
"""

__version__ = "0.1.0"
