"""Everything but the optional C accelerator of the scanner is declared in pyproject.toml. The accelerator
(reviewer/scan/_accel.c) is built when a C compiler is there; without one the install still succeeds and the scanner
uses numpy for the same passes (reviewer/scan/accel.py)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("reviewer.scan._accel", ["reviewer/scan/_accel.c"], optional=True,
                             extra_compile_args=["-O2"])])
