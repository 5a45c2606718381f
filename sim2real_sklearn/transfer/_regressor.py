"""Sim2RealRegressor: pretrain on simulations, fine-tune on experiments."""

from numbers import Real

import numpy as np
import scipy.sparse
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._constraints import (
    Count,
    LayerWidths,
    PathLike,
    TorchDevice,
    TorchModuleClass,
)
from .._torch_threads import torch_threads
from .._validation import check_groups, check_source, check_target
from ._ensemble import fit_ensemble, predict_members
from ._networks import ACTIVATIONS
from ._plan import (
    TrainingPlanMixin,
    _dense,
    _seeded,
    _tensor,
    row_weights,
)
from ._selection import fit_auto
from ._sparse import pack_rows, reads_as_sparse
from ._training import LR_SCHEDULES, _predict_tensor, _train_phase

STRATEGIES = ("auto", "finetune", "freeze", "multitask")


class Sim2RealRegressor(TrainingPlanMixin, RegressorMixin, BaseEstimator):
    """A network pretrained on source (simulation) data, fine-tuned on target (experiments).

    ``X, y`` are always the experimental data; the simulations come as the fit
    parameters ``X_source, y_source`` (requested by default through metadata
    routing, so ``GridSearchCV``, ``cross_validate`` and pipelines split and
    score experimental rows only). Without a source the network learns from
    the experiments alone: direct learning, the baseline of every scaling curve.

    The network is a body (the representation) and one linear output per task
    (each source property, then the target), built with skorch inside ``fit``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the default MLP body's hidden layers.
    activation : {"relu", "tanh", "gelu", "silu", "elu", "leaky_relu"}, default="relu"
    dropout : float, default=0.0
        Dropout after each hidden layer of the default body.
    batch_norm : bool, default=False
        BatchNorm after each linear layer of the default body.
    module : torch.nn.Module class or None, default=None
        Your own body. Called as ``module(n_features_in=..., **module__params)``
        and must expose ``out_features``; its parameters are given as
        ``module__<name>=value`` (skorch style, searchable by ``GridSearchCV``).
        When set, the four parameters above are not used.
    strategy : {"auto", "finetune", "freeze", "multitask"}, default="finetune"
        How the source is used:

        - ``"auto"``: choose by validation on the target's training rows
          (``auto_cv`` folds, whole groups when ``groups`` are given) among
          ``auto_candidates`` (by default fine-tuning, freezing and direct
          learning; with a constant learning rate, each also after a quarter
          and half of its epochs), then
          refit the chosen one on every training row. Fine-tuning is kept
          unless another candidate that uses the source validates better by
          more than one standard error of the paired per-fold difference
          (a frozen body never, when most training rows have their own
          simulation in the source: the shared pretraining has learnt them);
          direct learning replaces the choice only when it validates clearly
          better (by more than two standard errors, or by more than 10%).
          ``auto_choice_["reason"]`` says which. The pretraining is computed
          once for every candidate and fold, and the candidates' trainings run
          as one stack of networks. If direct learning wins, the model ignores
          the source and warns with :class:`~sim2real_sklearn.NegativeTransferWarning`;
        - ``"finetune"``: pretrain on the source, then train every weight on the target;
        - ``"freeze"``: pretrain, then keep the body fixed (weights and
          BatchNorm statistics) and train only the output layer;
        - ``"multitask"``: one training on source and target rows together,
          with the source tasks' losses weighted by ``source_weight``; uses the
          ``pretrain_*`` settings.
    source_weight : float, default=1.0
        Loss weight of each source task relative to the target in ``"multitask"``.
    reuse_source_head : bool, default=True
        With one source property (1-D ``y_source``) and the ``"finetune"`` or
        ``"freeze"`` strategy, start the target output from the pretrained
        source output and express the target in the source's scaling, so the
        fine-tuning starts from the simulation's prediction. Otherwise the
        target gets a fresh output and its own scaling (mean and standard
        deviation of ``y``). Set False when the source property is in other
        units than the target.
    pretrain_epochs, pretrain_lr, pretrain_batch_size, pretrain_weight_decay : \
int, float, int, float, default=100, 1e-3, 32, 0.0
        Adam settings of the pretraining (and of the joint ``"multitask"`` phase).
    finetune_epochs, finetune_lr, finetune_batch_size, finetune_weight_decay : \
int, float, int, float, default=60, 1e-3, 32, 0.0
        Adam settings of the training on the target.
    loss : {"l1", "mse", "huber"}, default="l1"
        Loss of the training on the target (and of the joint ``"multitask"``
        phase); the pretraining always uses the squared error. ``"l1"`` fits
        the median, which minimises the mean absolute error the package scores
        (5% lower on chi, within 1% elsewhere: examples/RESULTS.md); ``"mse"``
        fits the mean; ``"huber"`` is squared below 1 (scaled units), absolute beyond.
    pretrain_lr_schedule, finetune_lr_schedule : {"constant", "cosine", "onecycle"}, \
default="constant", "cosine"
        Learning-rate schedule of each phase (skorch ``LRScheduler``):
        constant; cosine decay to 0 over the phase; or one cycle, up to the
        learning rate over the first 30% of the steps and down after. The
        training on the target decays by default: on the evidence suite
        (``benchmarks/bench_transfer_suite.py``) a cosine decay from 1e-3 was
        the best or within 1% of the best fine-tuning recipe on every pair,
        and it improved direct learning on the chi pair by 10%.
    body_lr_ratio : float, default=1.0
        Learning rate of the pretrained body relative to the output layer
        during fine-tuning (discriminative learning rates): below 1 the body
        moves less than the head.
    freeze_layers : int, default=0
        With ``"finetune"``, keep the first ``freeze_layers`` weighted layers
        of the body as pretrained (partial freezing; BatchNorm statistics of
        a frozen layer included). ``"freeze"`` freezes the whole body.
    l2sp : float, default=0.0
        Strength of the L2-SP penalty (Li et al., ICML 2018) during
        fine-tuning: ``l2sp / 2 * ||w - w_pretrained||^2`` over the body's
        weights, which keeps the body near what the simulations taught
        instead of near zero (as ``finetune_weight_decay`` would).
    auto_candidates : list or None, default=None
        What ``"auto"`` tries: strategy names (``"finetune"``, ``"freeze"``,
        ``"multitask"``, ``"none"`` for direct learning) or dicts of these
        parameters with an optional ``"name"``, e.g. ``{"name": "gentle",
        "l2sp": 1.0}``. None means fine-tuning, freezing and direct learning.
    auto_cv : int, default=3
        Folds of the inner validation of ``"auto"``.
    n_estimators : int, default=1
        Members of a deep ensemble: networks that differ only in their seeds
        (weights, pretraining, batch order), trained as one stack. ``predict``
        gives their mean, ``predict(X, return_std=True)`` also their spread.
    calibrate_std : bool, default=True
        With ``n_estimators > 1``: scale the members' spread so that
        ``mean +/- 1.645 * std`` covers 90% of held-out target rows: the
        members are also trained on 80% of the training rows (their
        pretrainings shared) and scaled on the other 20%, whole groups when
        ``groups`` are passed to ``fit`` (pass them when a material has
        several rows; otherwise the band is too wide for new materials). The
        fine-tuning costs 1.8 instead of 1 per member. False returns the raw spread,
        which leaves out the measurement noise and is too narrow as a band.
    callbacks : list or dict, default=None
        skorch callbacks (instances, or ``(name, instance)`` pairs) run during
        training with skorch's notifications (per batch and per epoch): a
        learning-rate scheduler (it replaces the phase's ``*_lr_schedule``),
        ``EpochScoring``, loggers (``MlflowLogger``, ``WandbLogger`` or your
        own), Optuna's ``SkorchPruningCallback``. A list applies to the
        training on the target; ``{"pretrain": [...], "finetune": [...]}``
        sets each phase's (the joint ``"multitask"`` phase is ``"finetune"``).
        Their records are in ``finetune_history_`` (``pretrain_history_``) and
        ``net_.history``. With callbacks, the trainings run one network at a
        time (no stack); the inner validation of ``"auto"`` runs without them.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of each phase's rows and stop when the
        validation loss has not improved for ``n_iter_no_change`` epochs,
        restoring the best weights. Off by default: on a 30-row target a
        silent holdout is a real loss.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    memory : str, joblib.Memory or None, default=None
        Cache of the pretraining, keyed on the source data as they reach the
        regressor, the pretraining settings, the body and the seed. A grid
        search over fine-tuning settings then pretrains once.
    sparse_input : {"auto", True, False}, default="auto"
        Read the inputs as sparse rows: the first layer multiplies only the
        non-zeros, and its weight rows move by lazy Adam (only the rows of
        the columns a batch holds). ``"auto"``: when ``X`` is a scipy sparse
        matrix or a dense array with at most 10% non-zeros, of at least
        512 columns (fingerprints), and the body is the default MLP. Measured
        on Morgan count fingerprints of the chi pair (2.2% non-zeros), eight
        networks trained as one stack: 1.1x faster at 1025 columns, 5.2x at
        4097 (``benchmarks/bench_chi_study.py``). A scipy sparse ``X`` with
        ``sparse_input=False`` is made dense.
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``. A fitted model can be loaded on a CPU.
    n_threads : int or None, default=1
        Torch CPU threads while fitting and predicting, restored afterwards.
        Small networks train fastest on one thread: on a 2-core machine two
        threads made a 256-128 MLP up to 20x slower per batch, and parallel
        trials each need their own core. None leaves torch's setting alone.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the batch order and the validation split. The same
        seed gives identical predictions on a CPU.
    verbose : int, default=0
        1 prints a line per phase, 2 also early-stopping messages.
    **module_params
        ``module__<name>`` parameters of a custom body.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted net (its ``module_`` is the :class:`Sim2RealNetwork`).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_source_samples_ : int
        Source rows used (0 for direct learning).
    n_source_tasks_ : int
        Source properties (columns of ``y_source``).
    pretrain_history_ : list of dict
        Per-epoch ``train_loss`` (and ``valid_loss``) of the pretraining; empty without source.
    finetune_history_ : list of dict
        Per-epoch losses of the training on the target (the joint phase for ``"multitask"``).
    pretrain_from_cache_ : bool
        Whether the pretraining was loaded from ``memory``.
    strategy_ : str
        The strategy the model was trained with: ``strategy``, what ``"auto"``
        chose, or ``"none"`` (direct learning, no source).
    selection_ : dict or None
        With ``"auto"`` and a source: each candidate's validation error,
        ``{name: {"mean_mae", "std_mae", "fold_mae"}}``.
    auto_choice_ : dict
        With ``"auto"`` and a source: the chosen candidate's name, strategy
        and parameters (the model equals a regressor fitted with them), and
        the reason it was chosen.
    target_mean_, target_scale_ : float
        The scaling of the target inside the network.
    sparse_input_ : bool
        Whether the inputs are read as sparse rows (see ``sparse_input``).
    estimators_ : list of Sim2RealRegressor
        With ``n_estimators > 1``: the members (the ensemble itself has no ``net_``).
    std_scale_ : float
        With ``n_estimators > 1``: the factor applied to the members' spread
        by ``predict(X, return_std=True)`` (1.0 when ``calibrate_std=False``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_sim = rng.normal(size=(500, 5)); y_sim = X_sim.sum(axis=1) + 1.0
    >>> X_exp = rng.normal(size=(30, 5)); y_exp = X_exp.sum(axis=1)
    >>> model = Sim2RealRegressor(hidden_layer_sizes=(32,), pretrain_epochs=5,
    ...                           finetune_epochs=5, random_state=0)
    >>> model.fit(X_exp, y_exp, X_source=X_sim, y_source=y_sim).predict(X_exp[:2]).shape
    (2,)
    """

    __metadata_request__fit = {"X_source": True, "y_source": True, "groups": True,
                               "sample_weight": True, "source_sample_weight": True}
    # pipeline.predict(X, return_std=True) reaches an ensemble with metadata routing on too
    __metadata_request__predict = {"return_std": True}

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {
        "hidden_layer_sizes": [LayerWidths()],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "module": [None, TorchModuleClass()],
        "strategy": [StrOptions(set(STRATEGIES))],
        "source_weight": [Interval(Real, 0, None, closed="left")],
        "reuse_source_head": ["boolean"],
        **{f"{phase}_{name}": [constraint]
           for phase in ("pretrain", "finetune")
           for name, constraint in (
               ("epochs", Count(1, None, closed="left")),
               ("lr", Interval(Real, 0, None, closed="neither")),
               ("batch_size", Count(1, None, closed="left")),
               ("weight_decay", Interval(Real, 0, None, closed="left")),
           )},
        "loss": [StrOptions({"l1", "mse", "huber"})],
        "pretrain_lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "finetune_lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "body_lr_ratio": [Interval(Real, 0, None, closed="neither")],
        "freeze_layers": [Count(0, None, closed="left")],
        "l2sp": [Interval(Real, 0, None, closed="left")],
        "auto_candidates": [None, list, tuple],
        "auto_cv": [Count(2, None, closed="left")],
        "callbacks": [None, list, tuple, dict],
        "n_estimators": [Count(1, None, closed="left")],
        "calibrate_std": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Count(1, None, closed="left")],
        "memory": [None, str, PathLike(), HasMethods(["cache"])],
        "sparse_input": [StrOptions({"auto"}), "boolean"],
        "device": [TorchDevice()],
        "n_threads": [None, Count(1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        module=None,
        strategy="finetune",
        source_weight=1.0,
        reuse_source_head=True,
        pretrain_epochs=100,
        pretrain_lr=1e-3,
        pretrain_batch_size=32,
        pretrain_weight_decay=0.0,
        finetune_epochs=60,
        finetune_lr=1e-3,
        finetune_batch_size=32,
        finetune_weight_decay=0.0,
        loss="l1",
        pretrain_lr_schedule="constant",
        finetune_lr_schedule="cosine",
        body_lr_ratio=1.0,
        freeze_layers=0,
        l2sp=0.0,
        auto_candidates=None,
        auto_cv=3,
        n_estimators=1,
        calibrate_std=True,
        callbacks=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        memory=None,
        sparse_input="auto",
        device="cpu",
        n_threads=1,
        random_state=None,
        verbose=0,
        **module_params,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.module = module
        self.strategy = strategy
        self.source_weight = source_weight
        self.reuse_source_head = reuse_source_head
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_batch_size = pretrain_batch_size
        self.pretrain_weight_decay = pretrain_weight_decay
        self.finetune_epochs = finetune_epochs
        self.finetune_lr = finetune_lr
        self.finetune_batch_size = finetune_batch_size
        self.finetune_weight_decay = finetune_weight_decay
        self.loss = loss
        self.pretrain_lr_schedule = pretrain_lr_schedule
        self.finetune_lr_schedule = finetune_lr_schedule
        self.body_lr_ratio = body_lr_ratio
        self.freeze_layers = freeze_layers
        self.l2sp = l2sp
        self.auto_candidates = auto_candidates
        self.auto_cv = auto_cv
        self.n_estimators = n_estimators
        self.calibrate_std = calibrate_std
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.memory = memory
        self.sparse_input = sparse_input
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        # scikit-learn forbids raising in __init__: a misspelt keyword is kept
        # aside and reported by fit.
        self._unexpected_params = sorted(k for k in module_params if not k.startswith("module__"))
        for key, value in module_params.items():
            if key.startswith("module__"):
                setattr(self, key, value)

    # -- skorch-style ``module__`` parameters, visible to clone and GridSearchCV --

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update({k: v for k, v in vars(self).items() if k.startswith("module__")})
        return params

    def set_params(self, **params):
        for key in [k for k in params if k.startswith("module__")]:
            setattr(self, key, params.pop(key))
        # As in __init__: the name of the ``**module_params`` catch-all is not a
        # parameter; keep it aside for fit to report instead of raising here.
        if "module_params" in params:
            params.pop("module_params")
            self._unexpected_params = ["module_params"]
        return super().set_params(**params)

    def _module_params(self):
        return {k[len("module__"):]: v for k, v in vars(self).items() if k.startswith("module__")}

    # -- fitting --

    def fit(self, X, y, *, X_source=None, y_source=None, groups=None, sample_weight=None,
            source_sample_weight=None):
        """Pretrain on the source (if given), then train on the target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target (experimental) features.
        y : array-like of shape (n_samples,)
            Target (experimental) property.
        X_source : array-like of shape (n_source, n_features) or 1-tuple, default=None
            Source (simulation) features, in the same representation as ``X``.
            A 1-tuple ``(X_source,)`` protects it from cross-validation slicing
            (see the README's FAQ).
        y_source : array-like of shape (n_source,) or (n_source, n_properties), or 1-tuple
            Source properties; several columns pretrain one output each.
        groups : array-like of shape (n_samples,), default=None
            Group of each target row (the polymer, the pair), for
            ``strategy="auto"``: its inner validation then holds out whole
            groups (``GroupKFold``), so rows of one material never sit on both
            sides. Requested through metadata routing like the source.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each target row in the loss of the training on the target
            (and in the validation error of ``"auto"``), e.g. the inverse
            variance of a measurement. Non-negative.
        source_sample_weight : array-like of shape (n_source,) or 1-tuple, default=None
            Weight of each source row in the pretraining (or in the joint
            ``"multitask"`` training), e.g. to down-weight a cheaper fidelity.
            A 1-tuple protects it from cross-validation slicing, as ``X_source``.

        Both are requested through metadata routing by default, as the
        source is: ``pipeline.fit(X, y, sample_weight=w)`` and
        ``GridSearchCV(...).fit(X, y, sample_weight=w)`` reach the regressor.

        Returns
        -------
        self : Sim2RealRegressor
        """
        self._check_params()
        # A fit that fails or is interrupted (Ctrl-C) leaves the model as it
        # was: a model fitted before keeps predicting as before.
        before = dict(vars(self))
        try:
            with torch_threads(self.n_threads):
                return self._fit(X, y, X_source, y_source, groups, sample_weight,
                                 source_sample_weight)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _fit(self, X, y, X_source, y_source, groups, sample_weight, source_sample_weight):
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)  # a model fitted before (an ensemble, say) leaves nothing behind
        X, y, X_source, y_source = self._check_fit_data(X, y, X_source, y_source)
        groups = check_groups(groups, X.shape[0])
        weights = row_weights(sample_weight, source_sample_weight, X, X_source)
        if self.n_estimators > 1:
            return fit_ensemble(self, X, y, X_source, y_source, groups, weights)
        if self.strategy == "auto":
            return fit_auto(self, X, y, X_source, y_source, groups, weights=weights)
        return self._train(X, y, X_source, y_source, weights=weights)

    def _check_fit_data(self, X, y, X_source, y_source, warn_sliced=True):
        """The checked training arrays; sets ``n_features_in_`` and ``sparse_input_``.

        Sparse rows stay CSR matrices when the model reads them as sparse and
        become dense arrays otherwise.
        """
        X, y = check_target(self, X, y, reset=True, accept_sparse=True)
        if X.shape[0] < 2:
            raise ValueError(
                f"n_samples={X.shape[0]}: Sim2RealRegressor needs at least 2 target samples "
                f"in X, got {X.shape[0]} sample(s)."
            )
        X_source, y_source = check_source(
            X_source, y_source, n_features=self.n_features_in_,
            feature_names=getattr(self, "feature_names_in_", None),
            target=X if warn_sliced else None, accept_sparse=True)
        if self.sparse_input is True and self.module is not None:
            raise ValueError("sparse_input=True needs the default MLP body (module=None): a "
                             "custom body gets dense inputs.")
        self.sparse_input_ = self.module is None and reads_as_sparse(X, self.sparse_input)
        convert = (scipy.sparse.csr_matrix if self.sparse_input_ else _dense)
        X = convert(X)
        if X_source is not None:
            X_source = convert(X_source)
        return X, y, X_source, y_source

    def _inputs(self, X, device):
        """``X`` as the network reads it: packed sparse rows or a dense float32 tensor."""
        if getattr(self, "sparse_input_", False):
            return torch.as_tensor(pack_rows(X), device=device)
        return _tensor(_dense(X), device)

    def _seeds(self):
        """The pretraining's seed and the training's, both from random_state."""
        return check_random_state(self.random_state).randint(0, 2**31 - 1, size=2)

    def _train(self, X, y, X_source, y_source, pretraining=None, weights=None):
        """Fit checked arrays with the fixed strategy; ``pretraining`` reuses a pretraining done."""
        plan = self._training_plan(X, y, X_source, y_source, pretraining, weights)
        with _seeded(plan.seed):
            self.net_, self.finetune_history_ = _train_phase(
                plan.network, self._inputs(plan.X, plan.device), _tensor(plan.Y, plan.device),
                tasks=plan.tasks, task_weights=plan.task_weights, settings=plan.settings,
                seed=plan.seed, device=plan.device, verbose=self.verbose, phase=plan.phase,
                lr_param=plan.lr_param, callbacks=self._callbacks("finetune"),
                weighted=plan.weighted,
            )
        self._log(f"trained on {plan.X.shape[0]} rows ({self.strategy_}),"
                  f" final loss {self.finetune_history_[-1]['train_loss']:.4g}")
        return self

    def predict(self, X, return_std=False):
        """Predict the target (experimental) property.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the ensemble's spread (``n_estimators > 1``): the
            standard deviation of the members' predictions times
            ``std_scale_``, so that ``y_pred +/- 1.645 * y_std`` is a 90% band
            when ``calibrate_std=True``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The prediction (the members' mean for an ensemble).
        y_std : ndarray of shape (n_samples,)
            Only with ``return_std=True``.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(40, 3)); y = X.sum(axis=1)
        >>> model = Sim2RealRegressor((16,), finetune_epochs=5, n_estimators=4,
        ...                           random_state=0).fit(X, y)
        >>> y_pred, y_std = model.predict(X[:3], return_std=True)
        >>> y_pred.shape, y_std.shape, bool((y_std > 0).all())
        ((3,), (3,), True)
        """
        if return_std and getattr(self, "estimators_", None) is None:
            check_is_fitted(self, "net_")
            raise ValueError(
                "return_std=True needs a deep ensemble: fit with n_estimators > 1 (one "
                "network has no spread to report).")
        check_is_fitted(self, ("net_", "estimators_"), all_or_any=any)
        X = check_target(self, X, reset=False, accept_sparse=True)
        if getattr(self, "estimators_", None) is None:
            return self._predict_checked(X)
        predictions = predict_members(self, X)
        if not return_std:
            return predictions.mean(axis=0)
        return predictions.mean(axis=0), predictions.std(axis=0) * self.std_scale_

    def _predict_checked(self, X):
        """One network's prediction on checked ``X``."""
        with torch_threads(self.n_threads):
            output = _predict_tensor(self.net_, self._inputs(X, self.net_.device))
        return output[:, -1].astype(np.float64) * self.target_scale_ + self.target_mean_

    def predict_source(self, X):
        """Predict the source properties with the pretrained outputs.

        Only meaningful after pretraining (strategies ``"freeze"`` and
        ``"multitask"`` keep them; ``"finetune"`` moves the body on).

        Returns
        -------
        y_source_pred : ndarray of shape (n_samples, n_source_properties)
        """
        check_is_fitted(self, ("net_", "estimators_"), all_or_any=any)
        if self.n_source_tasks_ == 0:
            raise ValueError("This model was fitted without a source: it has no source outputs.")
        if getattr(self, "estimators_", None) is not None:  # the members' mean
            return np.mean([m.predict_source(X) for m in self.estimators_], axis=0)
        X = check_target(self, X, reset=False, accept_sparse=True)
        with torch_threads(self.n_threads):
            output = _predict_tensor(self.net_, self._inputs(X, self.net_.device))[:, :-1]
        return output * self.source_scale_ + self.source_mean_

    # -- helpers --

    def _check_params(self):
        if getattr(self, "_unexpected_params", None):
            raise TypeError(
                f"Sim2RealRegressor got unexpected keyword arguments {self._unexpected_params}; "
                "parameters of a custom body are given as module__<name>."
            )
        self._validate_params()

    def _log(self, message):
        if self.verbose:
            print(f"[Sim2RealRegressor] {message}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags
