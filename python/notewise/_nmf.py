"""notewise.NMF: notewise's multiplicative updates behind scikit-learn's estimator interface,
so that it drops into ``librosa.decompose.decompose(S, transformer=notewise.NMF(...))``."""

import numbers

import numpy as np

from . import _notewise

_LOSSES = {"frobenius": "euclidean", 2: "euclidean", "kullback-leibler": "kl", 1: "kl", "itakura-saito": "is", 0: "is"}


def _loss_name(beta_loss):
    if isinstance(beta_loss, str):
        if beta_loss not in _LOSSES:
            raise ValueError("beta_loss %r: expected 'frobenius', 'kullback-leibler', 'itakura-saito' or a number"
                             % beta_loss)
        return _LOSSES[beta_loss]
    if isinstance(beta_loss, numbers.Real):
        b = float(beta_loss)
        return _LOSSES[int(b)] if b in (0.0, 1.0, 2.0) else "beta=%r" % b
    raise ValueError("beta_loss %r: expected a string or a number" % (beta_loss,))


class NMF:
    """Nonnegative matrix factorisation X ~ W H (scikit-learn's ``NMF(solver='mu')`` interface).

    X: (n_samples, n_features) nonnegative; W: (n_samples, n_components) (what ``transform``
    returns); H = ``components_``: (n_components, n_features). The updates are the
    multiplicative ones of scikit-learn's 'mu' solver in the same order (W, then H), so from the
    same start both give the same factors to float tolerance for beta_loss 'frobenius' and
    'kullback-leibler'; tol is the same rule (every 10 iterations, the error's fall relative to
    the initial error). Runs in float32 unless X is float64.

    n_components: number of templates (None: n_features). init: 'random' (scikit-learn's
    scaled |normal| start with random_state; the default here) or 'custom' (W and H given to
    fit/fit_transform). beta_loss: 'frobenius', 'kullback-leibler', 'itakura-saito' or a number
    in [0, 2]. max_iter, tol, random_state as scikit-learn. progress: callable(stage, fraction,
    loss), return False to stop.

    Attributes after fit: components_, n_components_, n_iter_, reconstruction_err_ (as
    scikit-learn's: sqrt(2 * divergence)), loss_ (per iteration), n_features_in_.
    """

    def __init__(self, n_components=None, *, init=None, beta_loss="frobenius", tol=1e-4, max_iter=200,
                 random_state=None, progress=None):
        self.n_components = n_components
        self.init = init
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.progress = progress

    _PARAMS = ("n_components", "init", "beta_loss", "tol", "max_iter", "random_state", "progress")

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError("NMF: unknown parameter %r" % k)
            setattr(self, k, v)
        return self

    def __repr__(self):
        return "notewise.NMF(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self._PARAMS[:-1])

    def _check_X(self, X):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError("NMF: X must be 2-D (n_samples, n_features), got shape %r" % (X.shape,))
        dtype = np.float64 if X.dtype == np.float64 else np.float32
        X = X.astype(dtype, copy=False)
        if not np.all(np.isfinite(X)) or (X.size and X.min() < 0):
            raise ValueError("NMF: X must be finite and nonnegative")
        return X

    def _run(self, X, W, H, fix_h, max_iter):
        """X ~ W H by notewise with the roles transposed: notewise updates its H, then its W; on
        X^T ~ H^T W^T that is W first, then H, scikit-learn's order."""
        tol = float(self.tol)
        errors = []
        user = self.progress

        def watch(stage, fraction, loss):
            if user is not None and user(stage, fraction, loss) is False:
                return False
            errors.append(np.sqrt(max(loss, 0.0)))
            it = len(errors)
            # scikit-learn: every 10 iterations, stop when (previous - error) / initial < tol.
            if tol > 0 and it % 10 == 0:
                previous = errors[it - 11] if it > 10 else initial
                if (previous - errors[-1]) / initial < tol:
                    return False
            return True

        loss = _loss_name(self.beta_loss)
        initial = np.sqrt(max(_notewise.factorize(X.T, H.T, W.T, 0, 0, loss, 0, 0.0, 0.0, "auto", True, True,
                                                  X.dtype == np.float64, None)["initial_loss"], 0.0))
        r = _notewise.factorize(X.T, H.T, W.T, 0, 0, loss, int(max_iter), 0.0, 0.0, "auto", bool(fix_h), False,
                                X.dtype == np.float64, watch if initial > 0 else user)
        self.loss_ = list(r["loss"])
        final = r["loss"][-1] if r["loss"] else r["initial_loss"]
        # scikit-learn's reconstruction_err_: sqrt(2 d) with its d (half the squared norm for frobenius).
        scale = 1.0 if loss == "euclidean" else 2.0
        err = float(np.sqrt(max(scale * final, 0.0)))
        return np.ascontiguousarray(r["H"].T), np.ascontiguousarray(r["W"].T), r["iterations"], err

    def _random_start(self, X, k):
        rng = self.random_state if isinstance(self.random_state, np.random.RandomState) \
            else np.random.RandomState(self.random_state)
        avg = np.sqrt(X.mean() / k)
        H = np.abs(avg * rng.standard_normal(size=(k, X.shape[1])).astype(X.dtype, copy=False))
        W = np.abs(avg * rng.standard_normal(size=(X.shape[0], k)).astype(X.dtype, copy=False))
        return W, H

    def fit_transform(self, X, y=None, W=None, H=None):
        """Learn W and H for X; returns W (n_samples, n_components)."""
        X = self._check_X(X)
        k = self.n_components if self.n_components is not None else X.shape[1]
        if not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError("NMF: n_components must be a positive integer, got %r" % (k,))
        init = self.init if self.init is not None else "random"
        if init == "custom":
            if W is None or H is None:
                raise ValueError("NMF: init='custom' needs W and H")
            W = np.asarray(W, dtype=X.dtype)
            H = np.asarray(H, dtype=X.dtype)
            if W.shape != (X.shape[0], k) or H.shape != (k, X.shape[1]):
                raise ValueError("NMF: W must be %r and H %r, got %r and %r"
                                 % ((X.shape[0], k), (k, X.shape[1]), W.shape, H.shape))
        elif init == "random":
            W, H = self._random_start(X, k)
        else:
            raise ValueError("NMF: init %r: expected 'random' or 'custom'" % (init,))
        W, H, self.n_iter_, self.reconstruction_err_ = self._run(X, W, H, False, self.max_iter)
        self.components_ = H
        self.n_components_ = k
        self.n_features_in_ = X.shape[1]
        return W

    def fit(self, X, y=None, **params):
        """Learn the components of X; returns self."""
        self.fit_transform(X, **params)
        return self

    def transform(self, X):
        """W for new X with the learnt components held (scikit-learn's 'mu' start: a constant W)."""
        if not hasattr(self, "components_"):
            raise ValueError("NMF: call fit first")
        X = self._check_X(X)
        H = self.components_.astype(X.dtype, copy=False)
        if X.shape[1] != H.shape[1]:
            raise ValueError("NMF: X has %d features, the components %d" % (X.shape[1], H.shape[1]))
        avg = np.sqrt(X.mean() / self.n_components_)
        W = np.full((X.shape[0], self.n_components_), avg, dtype=X.dtype)
        W, _, _, _ = self._run(X, W, H, True, self.max_iter)
        return W

    def inverse_transform(self, W):
        """W H: back to (n_samples, n_features)."""
        return np.asarray(W) @ self.components_
