"""scikit-learn's own NMF test suite, run against notewise.NMF.

The file is the installed scikit-learn's ``sklearn/decomposition/tests/test_nmf.py`` (Debian's
python3-sklearn), executed here unchanged except for what it imports: ``NMF`` and
``non_negative_factorization`` are notewise's, and ``_nmf`` (the internals it tests:
``_initialize_nmf``, ``_beta_divergence``) is a namespace of notewise's own. Everything else
(``MiniBatchNMF``, the assertion helpers, ``clone``) is scikit-learn's. notewise.NMF's default
solver is 'mu', so the cases that name no solver run the multiplicative updates.

Skipped, each with its reason: the ``solver='cd'`` cases (coordinate descent is not implemented
by notewise), the cases of scikit-learn's MiniBatchNMF estimator (not replaced: it is
scikit-learn's code either way), and the test of ``_special_sparse_dot`` (a scikit-learn helper
with no counterpart: notewise makes a sparse X dense, its zeros exact). The whole file is skipped
when scikit-learn or its test file is not installed.
"""

import os
import types
import unittest.mock

import pytest

sklearn_decomposition = pytest.importorskip("sklearn.decomposition", reason="scikit-learn is not installed")

import notewise  # noqa: E402
from notewise import _nmf  # noqa: E402

SOURCE = os.path.join(os.path.dirname(sklearn_decomposition.__file__), "tests", "test_nmf.py")
if not os.path.isfile(SOURCE):
    pytest.skip("scikit-learn's test_nmf.py is not installed (%s)" % SOURCE, allow_module_level=True)

_INTERNALS = types.SimpleNamespace(_initialize_nmf=_nmf._initialize_nmf, _beta_divergence=_nmf._beta_divergence,
                                   EPSILON=_nmf._FLOOR)

with open(SOURCE) as f:
    _code = compile(f.read(), SOURCE, "exec")
# `from sklearn.decomposition import NMF` takes the package's attribute: swap it while the file
# runs its imports, and put the package back as it was.
with unittest.mock.patch.multiple(sklearn_decomposition, NMF=notewise.NMF,
                                  non_negative_factorization=notewise.non_negative_factorization,
                                  _nmf=_INTERNALS):
    exec(_code, globals())
assert NMF is notewise.NMF and non_negative_factorization is notewise.non_negative_factorization  # noqa: F821
assert nmf is _INTERNALS  # noqa: F821

_NOT_OURS = {
    "test_special_sparse_dot": "tests scikit-learn's internal _special_sparse_dot, which notewise does not have "
                               "(it makes a sparse X dense, its zeros exact)",
    "test_minibatch_nmf_transform": "MiniBatchNMF only: scikit-learn's estimator, not replaced by notewise",
    "test_mbnmf_inverse_transform": "MiniBatchNMF only: scikit-learn's estimator, not replaced by notewise",
    "test_minibatch_nmf_negative_beta_loss": "MiniBatchNMF only: scikit-learn's estimator, not replaced by notewise",
    "test_minibatch_nmf_partial_fit": "MiniBatchNMF only: scikit-learn's estimator, not replaced by notewise",
    "test_minibatch_nmf_verbose": "MiniBatchNMF only: scikit-learn's estimator, not replaced by notewise",
}


@pytest.fixture(autouse=True)
def _only_what_notewise_implements(request):
    name = request.node.originalname
    if name in _NOT_OURS:
        pytest.skip(_NOT_OURS[name])
    params = request.node.callspec.params if hasattr(request.node, "callspec") else {}
    solver = params.get("solver")
    if isinstance(solver, dict):
        solver = solver.get("solver")
    if solver == "cd":
        pytest.skip("solver='cd': coordinate descent is not implemented by notewise.NMF (multiplicative updates only)")
    if params.get("Estimator") is MiniBatchNMF:  # noqa: F821
        pytest.skip("Estimator=MiniBatchNMF: scikit-learn's estimator, not replaced by notewise")
