"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

An optimizer holds

* ``param_groups`` — a list of dicts, each with a ``"params"`` list of tensors and the
  hyper-parameters (``lr``, ``momentum``, ...) that apply to them. Options not given for a
  group are filled from ``defaults`` (the constructor's arguments), as in PyTorch;
* ``state`` — a dict from parameter to a dict of NumPy arrays and numbers (momentum buffers,
  running averages, step counts), created lazily at the first ``step``.

Subclasses implement ``step()``, which reads ``p.grad`` (a NumPy array) and updates ``p.data``
in place with vectorised NumPy: no graph is recorded, and a float32 parameter stays float32.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from hosila.autograd import enable_grad
from hosila.tensor import Tensor


class _RequiredParameter:
    """Marker for a hyper-parameter that has no default and must be given per group."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers (PyTorch's ``torch.optim.Optimizer`` API).

    Args:
        params: an iterable of tensors (e.g. ``model.parameters()``), of ``(name, tensor)``
            pairs (``model.named_parameters()``), or of dicts (parameter groups), each with a
            ``"params"`` entry and optional per-group options.
        defaults: the default value of every option, used where a group does not set it.
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts (parameter groups), "
                f"got a single Tensor; pass [tensor] or model.parameters()"
            )
        if isinstance(params, dict):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts (parameter groups), "
                f"got a dict; wrap a parameter group in a list: [{{'params': ...}}]"
            )
        if isinstance(params, set | frozenset):
            raise TypeError(
                f"{name}: params must be an ordered collection (list, tuple, generator), not a "
                f"set: the order of tensors in a set changes between runs"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list (params)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- parameter groups --------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional options) to train.

        Useful to start training layers that were frozen: the new group gets the optimizer's
        defaults for options it does not set. A tensor may belong to one group only.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(
                f"{name}: parameters must be in an ordered collection (list, tuple, generator), "
                f"not a set: the order of tensors in a set changes between runs"
            )
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            names = [p[0] for p in params]
            params = [p[1] for p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but params[{i}] is a {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (params[{i}] was made by an op); "
                    f"use .detach() to make a leaf"
                )
            if p.data.dtype.kind != "f":
                raise TypeError(
                    f"{name}: can only optimize floating-point tensors, params[{i}] has dtype "
                    f"{p.data.dtype}"
                )
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required optimization "
                    f"parameter {key}"
                )
            group.setdefault(key, default)
        self._validate_group(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn(
                f"{name}: a parameter group contains duplicate parameters; they will be updated "
                f"more than once per step",
                stacklevel=3,
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken & set(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Check a group's options (subclasses raise ValueError naming the bad option)."""

    # ---- gradients ---------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: ``p.grad = None`` (default, as PyTorch), or
        fill the existing gradient arrays with zeros when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad[...] = 0

    def _grads(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, np.ndarray]]:
        """Yield ``(param, grad)`` for the group's parameters that have a gradient; ``grad``
        is a NumPy array of the parameter's shape and dtype (never to be changed in place)."""
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if isinstance(g, Tensor):
                g = g.data
            g = np.asarray(g)
            if g.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: a parameter of shape {p.data.shape} has a gradient "
                    f"of shape {g.shape}"
                )
            if g.dtype != p.data.dtype:
                g = g.astype(p.data.dtype)
            yield p, g

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """Call ``closure`` (with gradient recording on) and return its loss, or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once. ``closure`` (optional for most
        optimizers) re-evaluates the model and returns the loss, which ``step`` returns."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    # ---- state dicts -------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their position (an int) in the order of the groups, as in
        PyTorch, so the dict can be saved (``hosila.save``) and loaded into a new optimizer over
        the same parameters. Arrays are copies: later steps do not change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                ids.append(index.setdefault(id(p), len(index)))
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            key = index.get(id(p), p) if isinstance(p, Tensor) else p
            state[key] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by :meth:`state_dict` (of an optimizer of the same kind over
        parameters of the same shapes, in the same groups).

        Float arrays are copied and cast to their parameter's dtype; tensors are accepted in
        place of arrays, and parameter indices may be ints or their decimal strings.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
                f"entries, got {type(state_dict).__name__}"
                + (
                    f" with keys {sorted(map(str, state_dict))}"
                    if isinstance(state_dict, dict)
                    else ""
                )
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer has {len(self.param_groups)}"
            )
        id_map: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded parameter group {i} has "
                    f"{len(saved['params'])} parameters, the optimizer's has "
                    f"{len(group['params'])}"
                )
            for old, p in zip(saved["params"], group["params"], strict=True):
                id_map[int(old)] = p
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.lstrip("-").isdigit() else key
            if isinstance(k, numbers.Integral) and int(k) in id_map:
                p = id_map[int(k)]
                if not isinstance(value, dict):
                    raise ValueError(
                        f"{name}.load_state_dict: the state of parameter {k} must be a dict, "
                        f"got {type(value).__name__}"
                    )
                state[p] = {n: _cast_state(n, v, p) for n, v in value.items()}
            else:
                state[k] = copy.deepcopy(value)
        groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k not in ("params",)}
            for k, default in self.defaults.items():
                new.setdefault(k, default)
                if isinstance(default, tuple) and isinstance(new[k], list):
                    new[k] = tuple(new[k])
            if "param_names" in group:
                new["param_names"] = group["param_names"]
            new["params"] = group["params"]
            self._validate_group(new)
            groups.append(new)
        self.state = state
        self.param_groups = groups

    # ---- display -----------------------------------------------------------------------

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _copy_value(v: Any) -> Any:
    """Copy arrays (also inside lists/tuples/dicts); numbers and strings are immutable."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, Tensor):
        return v.data.copy()
    if isinstance(v, list):
        return [_copy_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_value(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy_value(x) for k, x in v.items()}
    return v


def _cast_state(name: str, v: Any, p: Tensor) -> Any:
    """A loaded state value: arrays copied (floats cast to the parameter's dtype), the step
    count as an int."""
    if isinstance(v, Tensor):
        v = v.data
    if name == "step" and (isinstance(v, np.ndarray | np.generic | numbers.Number)):
        if np.size(v) == 1:
            return int(np.asarray(v).item())
    if isinstance(v, np.ndarray):
        return v.astype(p.data.dtype) if v.dtype.kind == "f" else v.copy()
    if isinstance(v, list):
        return [_cast_state("", x, p) for x in v]
    if isinstance(v, tuple):
        return tuple(_cast_state("", x, p) for x in v)
    if isinstance(v, dict):
        return {k: _cast_state(k, x, p) for k, x in v.items()}
    return v


def _effective_grad(g: np.ndarray, p: Tensor, weight_decay: float, maximize: bool) -> np.ndarray:
    """``−g`` if maximize, plus ``weight_decay · θ``: a new array when either applies, else
    ``g`` itself (which callers must not change: it is ``p.grad``)."""
    if maximize:
        g = np.negative(g)
        if weight_decay != 0:
            g += weight_decay * p.data
    elif weight_decay != 0:
        out = np.multiply(p.data, weight_decay)
        out += g
        g = out
    return g


def _check(cond: bool, message: str) -> None:
    """Raise ValueError(message) unless ``cond``."""
    if not cond:
        raise ValueError(message)


def _number(group: dict[str, Any], key: str, opt: str) -> float:
    """``group[key]`` as a float, or a TypeError naming the option."""
    v = group[key]
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{opt}: {key} must be a number, got {type(v).__name__} {v!r}")
    return float(v)
