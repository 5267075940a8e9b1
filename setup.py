"""Build glue: one `pip install .` compiles both native parts.

- `fastlog._native`: the Rust storage engine (rust/fastlog-py), built in release mode.
- `fastlog._codec`: the Cython wire codec (ext/fastlog/_codec.pyx).
"""
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools_rust import Binding, RustExtension

codec = Extension(
    "fastlog._codec",
    sources=["ext/fastlog/_codec.pyx"],
    extra_compile_args=["-O3"],
)

setup(
    ext_modules=cythonize(
        [codec],
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
    rust_extensions=[
        RustExtension(
            "fastlog._native",
            path="rust/fastlog-py/Cargo.toml",
            binding=Binding.PyO3,
            debug=False,
        )
    ],
    zip_safe=False,
)
