"""specinv: recover hidden spectra from condensed-matter spectroscopy.

The front door is :func:`solve`::

    import specinv
    kernel = specinv.STSKernel(bias, specinv.Mesh.uniform(-6, 6, 1201), temperature=2.5)
    result = specinv.solve(specinv.Problem(kernel, didv), method="maxent")
"""

from specinv.core.errors import (
    ConvergenceWarning,
    IllConditionedWarning,
    InputError,
    ParameterError,
    SpecinvError,
)
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.core.result import InversionResult
from specinv.kernels.base import Kernel
from specinv.kernels.sts import STSKernel
from specinv.solvers import SOLVERS, get_solver, load_all, solve

__version__ = "0.1.0"

__all__ = [
    "SOLVERS",
    "ConvergenceWarning",
    "IllConditionedWarning",
    "InputError",
    "InversionResult",
    "Kernel",
    "Mesh",
    "ParameterError",
    "Problem",
    "STSKernel",
    "SpecinvError",
    "__version__",
    "get_solver",
    "load_all",
    "solve",
]
