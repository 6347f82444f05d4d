"""Random-effects pooling against reference implementations: statsmodels' combine_effects
(DerSimonian-Laird, Hartung-Knapp-Sidik-Jonkman), published metafor results for the Kacker
(2004) data, a REML likelihood maximised by scipy, and scipy's t quantiles."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from kb.pooling import Estimate, pool, standard_error, student_t_quantile

Z = stats.norm.ppf(0.975)

# Kacker (2004): nine estimates and variances, with metafor's results for them as recorded in
# statsmodels' tests (statsmodels/stats/tests/results/results_meta.py).
KACKER_Y = [61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90]
KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]


def on_scale(y: list[float], v: list[float]) -> list[Estimate]:
    """Estimates whose 95% intervals imply exactly the given variances."""
    return [
        Estimate(yi, yi - Z * math.sqrt(vi), yi + Z * math.sqrt(vi))
        for yi, vi in zip(y, v, strict=True)
    ]


def ratios(y: list[float], v: list[float]) -> list[Estimate]:
    """Hazard ratios whose log-scale estimates and variances are y and v."""
    return [
        Estimate(math.exp(yi), math.exp(yi - Z * math.sqrt(vi)), math.exp(yi + Z * math.sqrt(vi)))
        for yi, vi in zip(y, v, strict=True)
    ]


def test_dersimonian_laird_matches_metafor_on_the_kacker_data() -> None:
    pooled = pool("mean-difference", on_scale(KACKER_Y, KACKER_V), "dl")
    assert pooled.estimate == pytest.approx(62.3901386044504, abs=1e-4)
    assert pooled.ci_lower == pytest.approx(61.9084781058787, abs=1e-4)
    assert pooled.ci_upper == pytest.approx(62.8717991030221, abs=1e-4)
    assert pooled.tau2 == pytest.approx(0.288049246973751, abs=1e-4)
    assert pooled.i2 * 100 == pytest.approx(67.744403741711, abs=1e-4)


def test_hartung_knapp_matches_metafor_on_the_kacker_data() -> None:
    pooled = pool("mean-difference", on_scale(KACKER_Y, KACKER_V), "dl", hartung_knapp=True)
    assert pooled.estimate == pytest.approx(62.3901386044504, abs=1e-4)
    assert pooled.ci_lower == pytest.approx(61.710383798052, abs=1e-4)
    assert pooled.ci_upper == pytest.approx(63.0698934108488, abs=1e-4)
    assert pooled.method == "DerSimonian-Laird + Hartung-Knapp"


def test_prediction_interval_is_higgins_thompson_spiegelhalter() -> None:
    pooled = pool("mean-difference", on_scale(KACKER_Y, KACKER_V), "dl")
    se = math.sqrt(1 / sum(1 / (v + pooled.tau2) for v in KACKER_V))
    half = stats.t.ppf(0.975, len(KACKER_Y) - 2) * math.sqrt(pooled.tau2 + se**2)
    assert pooled.prediction_lower == pytest.approx(pooled.estimate - half, abs=1e-9)
    assert pooled.prediction_upper == pytest.approx(pooled.estimate + half, abs=1e-9)
    # derived with that formula from metafor's DerSimonian-Laird results, not published
    assert pooled.prediction_lower == pytest.approx(60.99432483095069, abs=1e-4)
    assert pooled.prediction_upper == pytest.approx(63.78595237795011, abs=1e-4)


def test_no_prediction_interval_from_two_estimates() -> None:
    pooled = pool("hr", ratios([-0.3, -0.1], [0.04, 0.02]))
    assert pooled.prediction_lower is None and pooled.prediction_upper is None


def reml_by_scipy(y: list[float], v: list[float]) -> float:
    """tau² maximising the restricted likelihood on [0, inf): the best of a dense grid, refined
    by bounded scalar minimisation between its neighbours (the likelihood can have a second
    maximum at zero, so a single local search is not enough)."""
    ya, va = np.array(y), np.array(v)

    def minus_restricted_log_likelihood(tau2: float) -> float:
        w = 1 / (va + tau2)
        mu = np.sum(w * ya) / np.sum(w)
        return 0.5 * (np.sum(np.log(va + tau2)) + np.log(np.sum(w)) + np.sum(w * (ya - mu) ** 2))

    upper = 10 * (float(np.var(ya)) * len(y) + max(v))
    grid = np.concatenate([[0.0], np.geomspace(upper * 1e-9, upper, 2000)])
    values = [minus_restricted_log_likelihood(t) for t in grid]
    best = int(np.argmin(values))
    low, high = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    found = optimize.minimize_scalar(
        minus_restricted_log_likelihood,
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-12},
    )
    candidates = [float(found.x), float(grid[best])]
    return min(candidates, key=minus_restricted_log_likelihood)


def test_reml_maximises_the_restricted_likelihood() -> None:
    pooled = pool("mean-difference", on_scale(KACKER_Y, KACKER_V), "reml")
    assert pooled.tau2 == pytest.approx(reml_by_scipy(KACKER_Y, KACKER_V), abs=1e-6)
    assert pooled.method == "REML"


@pytest.mark.parametrize(
    ("y", "v"),
    [
        ([2.0, 2.0, -1.0], [0.015625, 0.0078125, 1.0]),  # the higher maximum is inside
        ([2.0, 2.0, -0.5], [0.0625, 0.0625, 1.0]),  # the higher maximum is at zero
    ],
)
def test_reml_finds_the_higher_of_two_maxima(y: list[float], v: list[float]) -> None:
    pooled = pool("mean-difference", on_scale(y, v), "reml")
    assert pooled.tau2 == pytest.approx(reml_by_scipy(y, v), abs=1e-6)


def test_reml_is_zero_without_heterogeneity() -> None:
    pooled = pool("hr", ratios([-0.2, -0.21, -0.19], [0.04, 0.05, 0.03]), "reml")
    assert pooled.tau2 == pytest.approx(0.0, abs=1e-9)
    assert pooled.i2 == 0.0


studies = st.lists(
    st.tuples(
        st.floats(min_value=-2.0, max_value=2.0, allow_nan=False),
        st.floats(min_value=0.005, max_value=1.0, allow_nan=False),
    ),
    min_size=2,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(studies)
def test_dersimonian_laird_and_hksj_match_statsmodels(data: list[tuple[float, float]]) -> None:
    y = [d[0] for d in data]
    v = [d[1] for d in data]
    # statsmodels leaves a negative moment estimate of tau² as it is (and warns computing with
    # it); DerSimonian and Laird truncate it at 0, where random effects are fixed effects.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = combine_effects(np.array(y), np.array(v), method_re="dl")
        truncated = reference.tau2 < 0
        ci = reference.conf_int(use_t=False)[0 if truncated else 1]
        hksj = reference.conf_int(use_t=True)[2 if truncated else 3]
    mean = reference.mean_effect_fe if truncated else reference.mean_effect_re
    assume(math.isfinite(mean) and all(math.isfinite(x) for x in (*ci, *hksj)))
    pooled = pool("hr", ratios(y, v), "dl")
    assert math.log(pooled.estimate) == pytest.approx(mean, abs=1e-7)
    assert pooled.tau2 == pytest.approx(max(0.0, reference.tau2), abs=1e-7)
    assert math.log(pooled.ci_lower) == pytest.approx(ci[0], abs=1e-7)
    assert math.log(pooled.ci_upper) == pytest.approx(ci[1], abs=1e-7)
    knapp = pool("hr", ratios(y, v), "dl", hartung_knapp=True)
    scale = reference.scale_hksj_fe if truncated else reference.scale_hksj_re
    if scale < 1:  # the modified interval: t quantile, usual standard error
        total = sum(1 / (vi + max(0.0, reference.tau2)) for vi in v)
        half = stats.t.ppf(0.975, len(y) - 1) / math.sqrt(total)
        hksj = (mean - half, mean + half)
    assert math.log(knapp.ci_lower) == pytest.approx(hksj[0], abs=1e-6)
    assert math.log(knapp.ci_upper) == pytest.approx(hksj[1], abs=1e-6)


def test_hartung_knapp_is_never_narrower_than_the_estimates_allow() -> None:
    """Identical estimates give the unmodified HKSJ interval zero width."""
    pooled = pool("hr", ratios([-0.2, -0.2], [0.04, 0.04]), "dl", hartung_knapp=True)
    half = stats.t.ppf(0.975, 1) * math.sqrt(0.02)
    assert math.log(pooled.ci_lower) == pytest.approx(-0.2 - half)
    assert math.log(pooled.ci_upper) == pytest.approx(-0.2 + half)


@settings(max_examples=40, deadline=None)
@given(studies)
def test_reml_matches_the_likelihood_maximum(data: list[tuple[float, float]]) -> None:
    y = [d[0] for d in data]
    v = [d[1] for d in data]
    pooled = pool("mean-difference", on_scale(y, v), "reml")
    assert pooled.tau2 == pytest.approx(reml_by_scipy(y, v), abs=1e-5)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 30, 120])
@pytest.mark.parametrize("p", [0.9, 0.95, 0.975, 0.995])
def test_t_quantile_matches_scipy(p: float, df: int) -> None:
    assert student_t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9)


def test_standard_error_from_an_interval() -> None:
    hr = Estimate(0.72, 0.58, 0.89)
    assert standard_error(hr, log_scale=True) == pytest.approx(
        (math.log(0.89) - math.log(0.58)) / (2 * Z)
    )


@pytest.mark.parametrize(
    "estimates",
    [
        [Estimate(0.7, 0.5, 0.9)],
        [Estimate(0.7, 0.5, 0.9), Estimate(0.8, 0.8, 0.8)],
        [Estimate(0.7, 0.5, 0.9), Estimate(0.8, 0.0, 1.2)],
    ],
)
def test_pooling_refuses_what_it_cannot_pool(estimates: list[Estimate]) -> None:
    with pytest.raises(ValueError, match="two or more"):
        pool("hr", estimates)
