"""notewise.NMF: a drop-in for scikit-learn's ``NMF(solver='mu')`` (and
``non_negative_factorization``), so that it also serves
``librosa.decompose.decompose(S, transformer=notewise.NMF(...))``.

Two solvers, one set of rules (scikit-learn's multiplicative updates: W, then H; the beta
exponent gamma of Fevotte & Idier 2011, eq. 4.2/4.3; tol tested every 10 iterations on the
error's fall relative to the initial error):

- the library's engine (``notewise::nmf::factorize``, in C++, the GIL released) for the common
  case: no regularisation and beta in [1, 2] (Euclidean, KL and between), on a dense X (a sparse
  one made dense: its zeros stay exact zeros);
- :func:`_multiplicative_update` below, in NumPy, for the rest: the L1/L2 penalties (alpha_W,
  alpha_H, l1_ratio, for every beta), beta < 1 (where scikit-learn also clamps factors below
  float64's epsilon to zero after each step, which decides exact zeros) and beta > 2. The
  library's engine deliberately accepts beta in [0, 2] only (the range its command-line tool
  documents), and its sparse-aware paths exploit structural zeros that a penalty term would have
  to respect in each of them; the penalised solver is small NumPy code instead, written to
  scikit-learn's published update rules and floors.

scikit-learn is not required: it is imported only to raise its ``ConvergenceWarning`` class.
"""

import numbers
import sys
import time

import numpy as np

from . import _notewise
from ._messages import warn

# scikit-learn's floor for zero denominators and zero WH entries (float32's epsilon, whatever the
# dtype), and its threshold for clamping tiny factors to zero when beta < 1 (float64's).
_FLOOR = float(np.finfo(np.float32).eps)
_TINY = float(np.finfo(np.float64).eps)

_BETA_NAMES = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (the bases of scikit-learn's NotFittedError)."""


class NMFConvergenceWarning(UserWarning):
    """max_iter reached before tol was met (raised as scikit-learn's ConvergenceWarning when
    scikit-learn is installed)."""


def _convergence_warning():
    try:
        from sklearn.exceptions import ConvergenceWarning
        return ConvergenceWarning
    except ImportError:
        return NMFConvergenceWarning


def _beta_value(beta_loss):
    if isinstance(beta_loss, str):
        if beta_loss not in _BETA_NAMES:
            raise ValueError("beta_loss=%r: expected 'frobenius', 'kullback-leibler', 'itakura-saito' or a number"
                             % (beta_loss,))
        return _BETA_NAMES[beta_loss]
    if isinstance(beta_loss, numbers.Real) and not isinstance(beta_loss, bool) and np.isfinite(beta_loss):
        return float(beta_loss)
    raise ValueError("beta_loss=%r: expected 'frobenius', 'kullback-leibler', 'itakura-saito' or a number"
                     % (beta_loss,))


def _engine_loss(beta):
    """The library's name of beta-divergence `beta`, or None where the engine does not take it."""
    if beta == 2:
        return "euclidean"
    if beta == 1:
        return "kl"
    if beta == 0:
        return "is"
    return "beta=%r" % beta if 0 < beta < 2 else None


def _engine_takes(beta, regularized):
    """Whether the library's engine runs this fit: beta in [1, 2] and no penalty. Below 1,
    scikit-learn's rules also clamp factors under float64's epsilon to zero after each step,
    which the engine does not: the NumPy solver keeps to them (they decide exact zeros)."""
    return not regularized and 1 <= beta <= 2


def _is_sparse(X):
    sp = sys.modules.get("scipy.sparse")  # a scipy.sparse matrix means scipy.sparse is imported
    return sp is not None and sp.issparse(X)


def _check_non_negative(A, whom):
    data = A.data if _is_sparse(A) else A
    if data.size and np.nanmin(data) < 0:
        raise ValueError("Negative values in data passed to %s" % whom)


def _as_matrix(X, whom="NMF (input X)", dtype=None):
    """X as a 2-D float ndarray: float32 stays float32, anything else becomes float64 (as
    scikit-learn); a scipy.sparse matrix is made dense (its zeros are exact zeros)."""
    if _is_sparse(X):
        if X.dtype != np.float32 and X.dtype != np.float64:
            X = X.astype(np.float64)
        X = X.toarray()
    else:
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("%s: expected a 2-D array (n_samples, n_features), got shape %r" % (whom, X.shape))
    if 0 in X.shape:
        raise ValueError("%s is empty: shape %r" % (whom, X.shape))
    if X.dtype.kind not in "biuf":
        raise ValueError("%s: expected numbers, got dtype %s" % (whom, X.dtype))
    if dtype is None:
        dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = np.asarray(X, dtype=dtype)
    if X.size and not np.all(np.isfinite(X)):
        raise ValueError("%s contains NaN or infinity" % whom)
    return X


def _random_state(random_state):
    if random_state is None or random_state is np.random:
        return np.random.mtrand._rand
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.RandomState(random_state)
    if isinstance(random_state, np.random.RandomState):
        return random_state
    raise ValueError("random_state=%r: expected None, an integer or a numpy.random.RandomState" % (random_state,))


def _beta_divergence(X, W, H, beta, square_root=False):
    """scikit-learn's beta-divergence of X from W H: half the squared Frobenius norm for beta 2,
    generalised KL for 1, Itakura-Saito for 0, else (x^b + (b-1) y^b - b x y^(b-1)) / (b(b-1)).
    Entries of X at or below float32's epsilon are left out of the terms that involve x (so 0 log
    0 and 0^b are 0), WH entries of 0 there are floored at it. square_root: sqrt(2 d)."""
    beta = _beta_value(beta)
    if _is_sparse(X):
        X = X.toarray()
    X, W, H = np.atleast_2d(X), np.atleast_2d(W), np.atleast_2d(H)
    WH = W @ H
    if beta == 2:
        res = float(np.sum((X - WH) ** 2)) / 2.0
    else:
        keep = X > _FLOOR
        x = X[keep]
        y = WH[keep]
        y[y == 0] = _FLOOR
        if beta == 1:
            res = float(np.dot(x, np.log(x / y))) + float(WH.sum()) - float(x.sum())
        elif beta == 0:
            ratio = x / y
            res = float(np.sum(ratio)) - X.size - float(np.sum(np.log(ratio)))
        else:
            res = (float(np.sum(x ** beta)) + (beta - 1) * float(np.sum(WH ** beta))
                   - beta * float(np.dot(x, y ** (beta - 1)))) / (beta * (beta - 1))
    if square_root:
        return np.sqrt(2 * res) if res > 0 else 0.0  # rounding can make an exact fit's d negative
    return res


def _leading_svd(X, k):
    """The k leading singular triplets of X: an exact SVD for small or nearly full-rank requests;
    else a randomized subspace iteration (Halko, Martinsson & Tropp, SIAM Review 53, 2011,
    Alg. 4.4: 10 extra columns, 7 power steps with re-orthonormalisation), seeded, so the same X
    gives the same start. A 1025 x 5000 spectrogram: ~0.3 s instead of ~10 s for 16 triplets."""
    small = min(X.shape)
    if small <= 300 or 3 * (k + 10) >= small:
        U, S, Vt = np.linalg.svd(X, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]
    G = np.random.RandomState(0).standard_normal((X.shape[1], k + 10)).astype(X.dtype, copy=False)
    Q = np.linalg.qr(X @ G)[0]
    for _ in range(7):
        Q = np.linalg.qr(X.T @ Q)[0]
        Q = np.linalg.qr(X @ Q)[0]
    Ub, S, Vt = np.linalg.svd(Q.T @ X, full_matrices=False)
    return (Q @ Ub)[:, :k], S[:k], Vt[:k]


def _initialize_nmf(X, n_components, init=None, eps=1e-6, random_state=None):
    """Start (W, H) for X ~ W H.

    'random': |normal| scaled by sqrt(mean(X) / n_components); 'nndsvd': Boutsidis & Gallopoulos
    (Pattern Recognition 41, 2008), nonnegative double SVD: each singular pair split into its
    positive and negative parts and the larger kept; 'nndsvda': its zeros set to mean(X);
    'nndsvdar': to small random values (mean(X) |normal| / 100); the SVD: _leading_svd. None: 'nndsvda' when
    n_components <= min(n_samples, n_features), else 'random' (scikit-learn 1.1+).
    """
    X = _as_matrix(X, "NMF initialization")
    _check_non_negative(X, "NMF initialization")
    n_samples, n_features = X.shape
    if init is not None and init != "random" and n_components > min(n_samples, n_features):
        raise ValueError("init = '{}' can only be used when n_components <= min(n_samples, n_features)".format(init))
    if init is None:
        init = "nndsvda" if n_components <= min(n_samples, n_features) else "random"
    if init == "random":
        scale = np.sqrt(X.mean() / n_components)
        rng = _random_state(random_state)
        H = np.abs(scale * rng.standard_normal(size=(n_components, n_features)).astype(X.dtype, copy=False))
        W = np.abs(scale * rng.standard_normal(size=(n_samples, n_components)).astype(X.dtype, copy=False))
        return W, H
    if init not in ("nndsvd", "nndsvda", "nndsvdar"):
        raise ValueError("init=%r: expected None, 'random', 'nndsvd', 'nndsvda', 'nndsvdar' or 'custom'" % (init,))
    U, S, Vt = _leading_svd(X, n_components)
    W = np.zeros((n_samples, n_components), dtype=X.dtype)
    H = np.zeros((n_components, n_features), dtype=X.dtype)
    # The leading singular pair of a nonnegative matrix can be taken nonnegative (Perron-Frobenius).
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(Vt[0, :])
    for j in range(1, n_components):
        u, v = U[:, j], Vt[j, :]
        parts = []
        for a, b in ((np.maximum(u, 0), np.maximum(v, 0)), (np.maximum(-u, 0), np.maximum(-v, 0))):
            na, nb = np.sqrt(np.dot(a, a)), np.sqrt(np.dot(b, b))
            parts.append((na * nb, a, b, na, nb))
        size, a, b, na, nb = parts[0] if parts[0][0] > parts[1][0] else parts[1]
        weight = np.sqrt(S[j] * size)
        W[:, j] = weight * a / na
        H[j, :] = weight * b / nb
    W[W < eps] = 0
    H[H < eps] = 0
    if init == "nndsvda":
        W[W == 0] = X.mean()
        H[H == 0] = X.mean()
    elif init == "nndsvdar":
        rng = _random_state(random_state)
        level = X.mean()
        W[W == 0] = np.abs(level * rng.standard_normal(size=int(np.count_nonzero(W == 0))) / 100)
        H[H == 0] = np.abs(level * rng.standard_normal(size=int(np.count_nonzero(H == 0))) / 100)
    return W, H


def _gamma(beta):
    """The exponent that makes the beta updates monotone (Fevotte & Idier 2011, Table 2)."""
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


def _ratio_terms(X, WH, beta):
    """(X .* WH^(beta-2), WH^(beta-1)): the numerator's and denominator's weights of one
    multiplicative step. WH zeros are floored at _FLOOR where a negative power would meet them."""
    P = WH.copy()
    if beta < 2:
        P[P == 0] = _FLOOR
    if beta == 1:
        num = X / P
        den = None
    elif beta == 0:
        num = P ** -1.0
        num **= 2
        num *= X
        Q = WH
        Q[Q == 0] = _FLOOR
        den = Q ** -1.0
    else:
        num = P ** (beta - 2)
        num *= X
        Q = WH
        if beta < 1:
            Q[Q == 0] = _FLOOR
        den = Q ** (beta - 1)
    return num, den


def _step(F, num, den, l1, l2, gamma):
    """F .*= (num / (den + l1 + l2 F))^gamma, zero denominators floored at _FLOOR."""
    if l1 > 0:
        den = den + l1
    if l2 > 0:
        den = den + l2 * F
    den[den == 0] = _FLOOR
    num /= den
    if gamma != 1:
        num **= gamma
    F *= num


def _multiplicative_update(X, W, H, beta, max_iter, tol, l1_W, l1_H, l2_W, l2_H, update_H, verbose, report):
    """scikit-learn's 'mu' solver with its L1/L2 penalties, in NumPy (W and H updated in place).
    report(iteration, W, H) after each iteration: return False to stop. Returns iterations run."""
    gamma = _gamma(beta)
    start = time.time()
    initial = previous = _beta_divergence(X, W, H, beta, square_root=True)
    XHt = HHt = H_sum = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # W
        if beta == 2:
            if XHt is None:
                XHt = X @ H.T
                HHt = H @ H.T
            num, den = XHt.copy(), W @ HHt
        else:
            num, den = _ratio_terms(X, W @ H, beta)
            num = num @ H.T
            if den is None:
                if H_sum is None:
                    H_sum = H.sum(axis=1)
                den = np.repeat(H_sum[np.newaxis, :], W.shape[0], axis=0)
            else:
                den = den @ H.T
        _step(W, num, den, l1_W, l2_W, gamma)
        if beta < 1:
            W[W < _TINY] = 0.0
        # H
        if update_H:
            if beta == 2:
                num, den = W.T @ X, (W.T @ W) @ H
            else:
                num, den = _ratio_terms(X, W @ H, beta)
                num = W.T @ num
                if den is None:
                    W_sum = W.sum(axis=0)
                    W_sum[W_sum == 0] = 1.0
                    den = np.repeat(W_sum[:, np.newaxis], H.shape[1], axis=1)
                else:
                    den = W.T @ den
            _step(H, num, den, l1_H, l2_H, gamma)
            XHt = HHt = H_sum = None
            if beta <= 1:
                H[H < _TINY] = 0.0
        if report is not None and report(n_iter, W, H) is False:
            break
        if tol > 0 and n_iter % 10 == 0:
            error = _beta_divergence(X, W, H, beta, square_root=True)
            if verbose:
                print("Epoch %02d reached after %.3f seconds, error: %f" % (n_iter, time.time() - start, error))
            if initial == 0 or (previous - error) / initial < tol:  # 0: X = W H exactly from the start
                break
            previous = error
    if verbose and (tol == 0 or n_iter % 10 != 0):
        print("Epoch %02d reached after %.3f seconds." % (n_iter, time.time() - start))
    return n_iter


class NMF:
    """Nonnegative matrix factorisation X ~ W H: scikit-learn's ``NMF(solver='mu')``.

    X: (n_samples, n_features) nonnegative, a NumPy array or a scipy.sparse matrix;
    W: (n_samples, n_components), what ``transform`` returns; H = ``components_``:
    (n_components, n_features). Minimises, as scikit-learn,

        d_beta(X | W H) + alpha_W l1_ratio n_features |W|_1 + alpha_H l1_ratio n_samples |H|_1
          + 0.5 alpha_W (1 - l1_ratio) n_features |W|_F^2 + 0.5 alpha_H (1 - l1_ratio) n_samples |H|_F^2

    by multiplicative updates (W, then H). Parameters and defaults are scikit-learn 1.2's:
    n_components (None: n_features); init None ('nndsvda' if n_components <= min(n_samples,
    n_features), else 'random'), 'random', 'nndsvd', 'nndsvda', 'nndsvdar' or 'custom' (W= and
    H= given to fit/fit_transform); solver 'mu' (the only one here: the default, where
    scikit-learn's is 'cd'); beta_loss 'frobenius', 'kullback-leibler', 'itakura-saito' or a
    number; tol (every 10 iterations: stop when the error fell by less than tol times the initial
    error); max_iter; random_state; alpha_W, alpha_H ('same': alpha_W), l1_ratio; verbose;
    shuffle (accepted; used by scikit-learn's 'cd' solver only). notewise's extra: progress,
    callable(stage, fraction, loss) after each iteration, return False to stop.

    float32 X gives float32 results, any other X float64. A ConvergenceWarning (scikit-learn's
    class if it is installed) when max_iter is reached with tol > 0.

    Attributes after fit: components_, n_components_, n_iter_, reconstruction_err_
    (sqrt(2 d_beta)), n_features_in_, feature_names_in_ (X with string column names only).
    """

    def __init__(self, n_components=None, *, init=None, solver="mu", beta_loss="frobenius", tol=1e-4, max_iter=200,
                 random_state=None, alpha_W=0.0, alpha_H="same", l1_ratio=0.0, verbose=0, shuffle=False,
                 progress=None):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.shuffle = shuffle
        self.progress = progress

    _PARAMS = ("n_components", "init", "solver", "beta_loss", "tol", "max_iter", "random_state", "alpha_W", "alpha_H",
               "l1_ratio", "verbose", "shuffle", "progress")
    _DEFAULTS = dict(n_components=None, init=None, solver="mu", beta_loss="frobenius", tol=1e-4, max_iter=200,
                     random_state=None, alpha_W=0.0, alpha_H="same", l1_ratio=0.0, verbose=0, shuffle=False,
                     progress=None)

    # --- scikit-learn's estimator protocol (what sklearn.base.clone, Pipeline, GridSearchCV use) ---

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError("NMF.set_params: unknown parameter %r; the parameters are %s"
                                 % (k, ", ".join(self._PARAMS)))
            setattr(self, k, v)
        return self

    def __repr__(self):
        changed = ["%s=%r" % (k, getattr(self, k)) for k in self._PARAMS
                   if not _same(getattr(self, k), self._DEFAULTS[k])]
        return "NMF(%s)" % ", ".join(changed)

    def _more_tags(self):
        return {"requires_positive_X": True, "preserves_dtype": [np.float64, np.float32]}

    def get_feature_names_out(self, input_features=None):
        """The names of transform's columns: nmf0, nmf1, ..."""
        self._check_fitted()
        if input_features is not None and len(input_features) != self.n_features_in_:
            raise ValueError("input_features: %d names, the model has %d features"
                             % (len(input_features), self.n_features_in_))
        return np.asarray(["nmf%d" % i for i in range(self.components_.shape[0])], dtype=object)

    # --- checks ---

    def _check_fitted(self):
        if not hasattr(self, "components_"):
            raise NotFittedError("This NMF instance is not fitted yet: call fit or fit_transform first")

    def _check_params(self):
        """Validate the parameters (at fit time, as scikit-learn); each message names its keyword."""
        k = self.n_components
        if k is not None and (not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1):
            raise ValueError("NMF: n_components=%r: expected a positive integer or None" % (k,))
        if self.init not in (None, "random", "nndsvd", "nndsvda", "nndsvdar", "custom"):
            raise ValueError("NMF: init=%r: expected None, 'random', 'nndsvd', 'nndsvda', 'nndsvdar' or 'custom'"
                             % (self.init,))
        beta = _beta_value(self.beta_loss)
        if self.solver == "cd" and beta != 2:
            raise ValueError("Invalid beta_loss parameter: solver 'cd' does not handle beta_loss = %r"
                             % (self.beta_loss,))
        if self.solver != "mu":
            raise ValueError("NMF: solver=%r: notewise implements the multiplicative updates only; use solver='mu'"
                             % (self.solver,))
        for name, low in (("tol", 0.0), ("alpha_W", 0.0)):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or isinstance(v, bool) or not v >= low:
                raise ValueError("NMF: %s=%r: expected a number >= %g" % (name, v, low))
        if not (self.alpha_H == "same" or (isinstance(self.alpha_H, numbers.Real)
                                           and not isinstance(self.alpha_H, bool) and self.alpha_H >= 0)):
            raise ValueError("NMF: alpha_H=%r: expected a number >= 0 or 'same'" % (self.alpha_H,))
        if not isinstance(self.l1_ratio, numbers.Real) or not 0 <= self.l1_ratio <= 1:
            raise ValueError("NMF: l1_ratio=%r: expected a number in [0, 1]" % (self.l1_ratio,))
        if not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool) or self.max_iter < 1:
            raise ValueError("NMF: max_iter=%r: expected an integer >= 1" % (self.max_iter,))
        if self.progress is not None and not callable(self.progress):
            raise ValueError("NMF: progress=%r: expected a callable(stage, fraction, loss) or None" % (self.progress,))
        _random_state(self.random_state)  # raises for a bad one
        return beta

    def _regularization(self, X):
        n_samples, n_features = X.shape
        alpha_W = float(self.alpha_W)
        alpha_H = alpha_W if self.alpha_H == "same" else float(self.alpha_H)
        l1 = float(self.l1_ratio)
        return (n_features * alpha_W * l1, n_samples * alpha_H * l1,
                n_features * alpha_W * (1.0 - l1), n_samples * alpha_H * (1.0 - l1))

    def _check_start(self, A, shape, whom, X):
        if A is None:
            raise ValueError("NMF: init='custom' needs W= and H= (the start) given to fit/fit_transform")
        A = A.toarray() if _is_sparse(A) else np.asarray(A)
        if A.shape != shape:
            raise ValueError("Array with wrong shape passed to %s. Expected %s, but got %s " % (whom, shape, A.shape))
        _check_non_negative(A, whom)
        if np.max(A) == 0:
            raise ValueError("Array passed to %s is full of zeros." % whom)
        return A

    # --- the fit ---

    def _fit_transform(self, X, W=None, H=None, update_H=True):
        """(W, H, n_iter) for a checked X, as scikit-learn's NMF._fit_transform."""
        beta = self._check_params()
        _check_non_negative(X, "NMF (input X)")
        if X.size and X.min() == 0 and beta <= 0:
            raise ValueError("When beta_loss <= 0 and X contains zeros, the solver may diverge. Please add small "
                             "values to X, or use a positive beta_loss.")
        n_samples, n_features = X.shape
        k = self.n_components if self.n_components is not None else n_features
        if self.init == "nndsvd":
            warn("The multiplicative update ('mu') solver cannot update zeros present in the initialization, and so "
                 "leads to poorer results when used jointly with init='nndsvd'. You may try init='nndsvda' or "
                 "init='nndsvdar' instead.", UserWarning)
        if self.init == "custom" and update_H:
            H = self._check_start(H, (k, n_features), "NMF (input H)", X)
            W = self._check_start(W, (n_samples, k), "NMF (input W)", X)
            if H.dtype != X.dtype or W.dtype != X.dtype:
                raise TypeError("H and W should have the same dtype as X. Got H.dtype = {} and W.dtype = {}."
                                .format(H.dtype, W.dtype))
            W, H = W.copy(), H.copy()
        elif not update_H:
            H = self._check_start(H, (k, n_features), "NMF (input H)", X)
            if H.dtype != X.dtype:
                raise TypeError("H should have the same dtype as X. Got H.dtype = {}.".format(H.dtype))
            W = np.full((n_samples, k), np.sqrt(X.mean() / k), dtype=X.dtype)
        else:
            W, H = _initialize_nmf(X, k, init=self.init, random_state=self.random_state)
        regs = self._regularization(X)
        if not _engine_takes(beta, any(r > 0 for r in regs)):
            W, H = np.ascontiguousarray(W), np.ascontiguousarray(H)
            report = None
            if self.progress is not None:
                scale = 2.0 if beta == 2 else 1.0

                def report(it, W_, H_):
                    loss = scale * _beta_divergence(X, W_, H_, beta)
                    return self.progress("factorize", it / self.max_iter, loss)
            n_iter = _multiplicative_update(X, W, H, beta, int(self.max_iter), float(self.tol), *regs, update_H,
                                            self.verbose, report)
        else:
            W, H, n_iter = self._engine(X, W, H, beta, update_H)
        if n_iter == self.max_iter and self.tol > 0:
            warn("Maximum number of iterations %d reached. Increase it to improve convergence." % self.max_iter,
                 _convergence_warning())
        return W, H, n_iter

    def _engine(self, X, W, H, beta, update_H):
        """The library's multiplicative updates on X^T ~ H^T W^T: the engine updates its H (our W)
        first, then its W (our H), scikit-learn's order."""
        tol = float(self.tol)
        loss = _engine_loss(beta)
        float64 = X.dtype == np.float64
        errors = []
        user = self.progress
        verbose = self.verbose
        start = time.time()

        def watch(stage, fraction, value):
            if user is not None and user(stage, fraction, value) is False:
                return False
            errors.append(np.sqrt(max(value, 0.0)))
            it = len(errors)
            # Every 10 iterations: stop when (previous - error) / initial < tol. The engine's loss
            # is d_beta (twice scikit-learn's for frobenius): the ratio is the same.
            if tol > 0 and it % 10 == 0:
                previous = errors[it - 11] if it > 10 else initial
                if verbose:
                    print("Epoch %02d reached after %.3f seconds, error: %f" % (it, time.time() - start, errors[-1]))
                if initial == 0 or (previous - errors[-1]) / initial < tol:
                    return False
            return True

        initial = np.sqrt(max(_notewise.factorize(X.T, H.T, W.T, 0, 0, loss, 0, 0.0, 0.0, "auto", True, True,
                                                  float64, None)["initial_loss"], 0.0))
        r = _notewise.factorize(X.T, H.T, W.T, 0, 0, loss, int(self.max_iter), 0.0, 0.0, "auto", not update_H, False,
                                float64, watch)
        if verbose and (tol == 0 or r["iterations"] % 10 != 0):
            print("Epoch %02d reached after %.3f seconds." % (r["iterations"], time.time() - start))
        return np.ascontiguousarray(r["H"].T), np.ascontiguousarray(r["W"].T), r["iterations"]

    def _validate_X(self, X, reset):
        names = _feature_names(X)
        X = _as_matrix(X)
        if reset:
            self.n_features_in_ = X.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif X.shape[1] != self.n_features_in_:
            raise ValueError("X has %d features, but NMF is expecting %d features as input."
                             % (X.shape[1], self.n_features_in_))
        return X

    def fit_transform(self, X, y=None, W=None, H=None):
        """Learn W and H for X; returns W (n_samples, n_components). W, H: the start for
        init='custom'."""
        self._check_params()
        X = self._validate_X(X, reset=True)
        W, H, n_iter = self._fit_transform(X, W=W, H=H)
        self.reconstruction_err_ = _beta_divergence(X, W, H, _beta_value(self.beta_loss), square_root=True)
        self.n_components_ = H.shape[0]
        self.components_ = H
        self.n_iter_ = n_iter
        return W

    def fit(self, X, y=None, **params):
        """Learn the components of X; returns self. params: W=, H= for init='custom'."""
        self.fit_transform(X, **params)
        return self

    def transform(self, X):
        """W for X with the learnt components held (scikit-learn's start: a constant W)."""
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        W, _, _ = self._fit_transform(X, H=self.components_, update_H=False)
        return W

    def inverse_transform(self, W):
        """W H: back to (n_samples, n_features)."""
        self._check_fitted()
        return W @ self.components_


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _feature_names(X):
    """The column names of a DataFrame-like X when they are all strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(list(columns), dtype=object)
    return names if len(names) and all(isinstance(n, str) for n in names) else None


def non_negative_factorization(X, W=None, H=None, n_components=None, *, init=None, update_H=True, solver="mu",
                               beta_loss="frobenius", tol=1e-4, max_iter=200, alpha_W=0.0, alpha_H="same", l1_ratio=0.0,
                               random_state=None, verbose=0, shuffle=False):
    """scikit-learn's ``non_negative_factorization`` with the multiplicative updates: (W, H,
    n_iter). update_H=False: H is held and W solved from a constant start (``transform``)."""
    est = NMF(n_components=n_components, init=init, solver=solver, beta_loss=beta_loss, tol=tol, max_iter=max_iter,
              random_state=random_state, alpha_W=alpha_W, alpha_H=alpha_H, l1_ratio=l1_ratio, verbose=verbose,
              shuffle=shuffle)
    est._check_params()
    return est._fit_transform(_as_matrix(X), W=W, H=H, update_H=update_H)
