"""Random-effects pooling of comparable findings: DerSimonian-Laird or REML, optionally with the
Hartung-Knapp-Sidik-Jonkman interval, with tau², I² and a prediction interval.

Ratios (HR, OR, RR) are pooled on the log scale, with each study's standard error taken from
its confidence interval; differences on their own scale. The formulas:

- inverse-variance weights w = 1/v; Q = Σw(y - ȳ)², df = k - 1;
- DerSimonian-Laird (1986): τ² = max(0, (Q - df) / (Σw - Σw²/Σw));
- REML: τ² maximises the restricted likelihood: Fisher scoring from the DL value and from the
  best point of a log-spaced search, since the likelihood may have a second maximum at zero;
- random effects: w* = 1/(v + τ²), μ = Σw*y/Σw*, SE = √(1/Σw*), interval μ ± z·SE;
- Hartung-Knapp-Sidik-Jonkman: SE² = q/Σw* with q = Σw*(y - μ)²/(k - 1), interval with t on
  k - 1 df; q is taken as 1 when it is smaller (the modification of Röver, Knapp and Friede
  2015), so that similar estimates never give an interval narrower than their own errors allow;
- I² = max(0, (Q - df)/Q) (Higgins and Thompson 2002);
- prediction interval (Higgins, Thompson and Spiegelhalter 2009), for k ≥ 3:
  μ ± t(k - 2)·√(τ² + SE²).

Pure Python: the t quantiles come from the regularised incomplete beta function below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Method = Literal["dl", "reml"]
RATIOS = frozenset({"hr", "or", "rr"})
DIFFERENCES = frozenset({"mean-difference"})
POOLABLE = RATIOS | DIFFERENCES


@dataclass(frozen=True)
class Estimate:
    """One study's estimate as printed: the value and its confidence interval."""

    value: float
    lower: float
    upper: float
    level: float = 0.95


@dataclass(frozen=True)
class Pooled:
    measure: str
    method: str
    """'DerSimonian-Laird' or 'REML', with '+ Hartung-Knapp' when that interval is used."""
    k: int
    estimate: float
    ci_lower: float
    ci_upper: float
    tau2: float
    """On the scale of the analysis: the log scale for ratios."""
    i2: float
    """0 to 1."""
    q: float
    prediction_lower: float | None
    prediction_upper: float | None
    """None with fewer than three estimates."""

    def crosses_no_effect(self) -> bool:
        null = 1.0 if self.measure in RATIOS else 0.0
        return self.ci_lower <= null <= self.ci_upper


def standard_error(estimate: Estimate, log_scale: bool) -> float:
    """The standard error implied by a symmetric confidence interval on the analysis scale."""
    z = NormalDist().inv_cdf(0.5 + estimate.level / 2)
    if log_scale:
        return (math.log(estimate.upper) - math.log(estimate.lower)) / (2 * z)
    return (estimate.upper - estimate.lower) / (2 * z)


def is_poolable(measure: str, estimate: Estimate) -> bool:
    """A measure kb pools, with an interval that gives a positive standard error."""
    if measure not in POOLABLE or not estimate.lower < estimate.upper:
        return False
    return not (measure in RATIOS and min(estimate.value, estimate.lower) <= 0)


def pool(
    measure: str,
    estimates: Sequence[Estimate],
    method: Method = "dl",
    hartung_knapp: bool = False,
    level: float = 0.95,
) -> Pooled:
    """The random-effects pooled estimate of two or more estimates of one measure."""
    if len(estimates) < 2 or not all(is_poolable(measure, e) for e in estimates):
        raise ValueError("pooling needs two or more estimates with intervals")
    log_scale = measure in RATIOS
    y = [math.log(e.value) if log_scale else e.value for e in estimates]
    v = [standard_error(e, log_scale) ** 2 for e in estimates]
    k = len(y)
    q = _q(y, v)
    tau2 = _dersimonian_laird(y, v) if method == "dl" else _reml(y, v)
    w = [1 / (vi + tau2) for vi in v]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    se = math.sqrt(1 / sum(w))
    if hartung_knapp:
        # The modified interval: the scale is not let below 1, so that estimates closer to
        # each other than their own errors allow do not give a narrower interval than the
        # t interval with the usual standard error (Röver, Knapp and Friede 2015).
        scale = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / (k - 1)
        half = student_t_quantile(0.5 + level / 2, k - 1) * math.sqrt(max(1.0, scale) / sum(w))
    else:
        half = NormalDist().inv_cdf(0.5 + level / 2) * se
    prediction: tuple[float | None, float | None] = (None, None)
    if k >= 3:
        spread = student_t_quantile(0.5 + level / 2, k - 2) * math.sqrt(tau2 + se**2)
        prediction = (mu - spread, mu + spread)
    back = math.exp if log_scale else (lambda x: x)
    name = {"dl": "DerSimonian-Laird", "reml": "REML"}[method]
    return Pooled(
        measure=measure,
        method=name + (" + Hartung-Knapp" if hartung_knapp else ""),
        k=k,
        estimate=back(mu),
        ci_lower=back(mu - half),
        ci_upper=back(mu + half),
        tau2=tau2,
        i2=max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0,
        q=q,
        prediction_lower=None if prediction[0] is None else back(prediction[0]),
        prediction_upper=None if prediction[1] is None else back(prediction[1]),
    )


def _q(y: Sequence[float], v: Sequence[float]) -> float:
    w = [1 / vi for vi in v]
    fixed = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    return sum(wi * (yi - fixed) ** 2 for wi, yi in zip(w, y, strict=True))


def _dersimonian_laird(y: Sequence[float], v: Sequence[float]) -> float:
    w = [1 / vi for vi in v]
    c = sum(w) - sum(wi**2 for wi in w) / sum(w)
    return max(0.0, (_q(y, v) - (len(y) - 1)) / c)


def _restricted_log_likelihood(y: Sequence[float], v: Sequence[float], tau2: float) -> float:
    """The restricted log-likelihood of τ², up to a constant."""
    w = [1 / (vi + tau2) for vi in v]
    total = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / total
    spread = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True))
    return -0.5 * (sum(math.log(vi + tau2) for vi in v) + math.log(total) + spread)


def _fisher_scoring(y: Sequence[float], v: Sequence[float], tau2: float) -> float:
    """Fisher scoring of the restricted likelihood from `tau2`, kept at zero or above; a step
    that would lower the likelihood is halved until it does not. Where the expected information
    is well below the curvature, scoring overshoots and swings about the maximum, closing in
    only slowly: once two steps bracket it (the score changes sign), the score's root between
    them is found by bisection."""
    previous: tuple[float, float] | None = None
    for _ in range(500):
        score, information = _score(y, v, tau2)
        if previous is not None and score * previous[1] < 0:
            return _maximum_between(y, v, previous[0], tau2)
        step = score / information
        here = _restricted_log_likelihood(y, v, tau2)
        new = max(0.0, tau2 + step)
        for _ in range(60):
            if _restricted_log_likelihood(y, v, new) >= here:
                break
            step /= 2
            new = max(0.0, tau2 + step)
        if abs(new - tau2) < 1e-12 * max(1.0, tau2):
            return new
        previous = (tau2, score)
        tau2 = new
    return tau2


def _score(y: Sequence[float], v: Sequence[float], tau2: float) -> tuple[float, float]:
    """The derivative of the restricted log-likelihood at τ², and its expected information."""
    w = [1 / (vi + tau2) for vi in v]
    total = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / total
    w2 = sum(wi**2 for wi in w)
    score = 0.5 * (
        sum(wi**2 * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) - total + w2 / total
    )
    information = 0.5 * (w2 - 2 * sum(wi**3 for wi in w) / total + (w2 / total) ** 2)
    return score, information


def _maximum_between(y: Sequence[float], v: Sequence[float], a: float, b: float) -> float:
    """The highest of `a`, `b` and the root of the score between them (bisection)."""
    positive, negative = (a, b) if _score(y, v, a)[0] > 0 else (b, a)
    for _ in range(200):
        middle = (positive + negative) / 2
        if abs(positive - negative) < 1e-13 * max(1.0, middle):
            break
        if _score(y, v, middle)[0] > 0:
            positive = middle
        else:
            negative = middle
    root = (positive + negative) / 2
    return max((root, a, b), key=lambda t: _restricted_log_likelihood(y, v, t))


def _reml(y: Sequence[float], v: Sequence[float]) -> float:
    """τ² maximising the restricted log-likelihood on [0, ∞).

    The likelihood can have two maxima (one at zero), so Fisher scoring starts from the DL
    estimate and from the best point of a log-spaced search up to well past the spread of the
    estimates; the higher of the maxima it reaches is the estimate."""
    mean = sum(y) / len(y)
    upper = 10 * (sum((yi - mean) ** 2 for yi in y) + max(v))
    grid = [0.0] + [upper * 10 ** (-k / 8) for k in range(0, 8 * 12)]
    best = max(grid, key=lambda t: _restricted_log_likelihood(y, v, t))
    found = [_fisher_scoring(y, v, _dersimonian_laird(y, v)), _fisher_scoring(y, v, best)]
    return max(found, key=lambda t: _restricted_log_likelihood(y, v, t))


def student_t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t distribution with `df` degrees of freedom."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("p must lie in (0, 1) and df be positive")
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if _t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


def _t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(log_front + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Lentz's method for the continued fraction of the incomplete beta function."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result
