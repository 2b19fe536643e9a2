"""The Aalen-Johansen estimate of cumulative incidence with its confidence band, as
lifelines computes it, with the variance summed in arrays instead of row by row.

lifelines 0.30 sums the variance (Collett, Modelling Survival Data in Medical Research,
3rd ed., p. 411: Greenwood's estimator, delta-method band on log(-log F)) over the rows
of the event table with `DataFrame.iterrows`: on 50,000 children that loop took 0.8 s of a
framework's 1 s of fits, four times per cohort. Here the same running sums are cumulative
sums of the same terms, added in the same order. Squares and cubes are products here where
lifelines calls `pow`, so a value may differ from lifelines' in its last bits (relative
differences up to about 1e-15 were seen, none in a point estimate);
tests/cohort/test_cif.py compares variance and band with lifelines' loop to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lifelines import AalenJohansenFitter
from lifelines.utils import inv_normal_cdf


class CumulativeIncidence(AalenJohansenFitter):  # type: ignore[misc]  # lifelines is untyped
    def _bounds(self, lagged_survival: Any, alpha: float, ci_labels: Any) -> tuple[Any, Any]:
        """lifelines' `_bounds`, its running sums as cumulative sums (same inputs, same
        output frames, values equal to the last bits)."""
        ci = 1 - alpha
        df = self.event_table.copy()
        df["Ft"] = self.cumulative_density_
        df["lagS"] = lagged_survival.fillna(1)
        if ci_labels is None:
            ci_labels = ["%s_upper_%g" % (self._label, ci), "%s_lower_%g" % (self._label, ci)]  # noqa: UP031 (lifelines' labels)
        assert len(ci_labels) == 2, "ci_labels should be a length 2 array."
        f = df["Ft"].to_numpy(dtype=float)
        d = df["observed"].to_numpy(dtype=float)
        n = df["at_risk"].to_numpy(dtype=float)
        d1 = df[self.label_cmprisk].to_numpy(dtype=float)
        s = df["lagS"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):  # lifelines' loop gives inf and nan there too
            a = d / n / (n - d)
            quadratic = np.cumsum(a)
            linear = np.cumsum(-(2 * a * f))
            constant = np.cumsum(a * (f * f))
            second = np.cumsum((s * s) * d1 * (n - d1) / (n * n * n))
            c = s * d1 / (n * n)
            third_linear = np.cumsum(c)
            third_constant = np.cumsum(-(c * f))
            first = constant + linear * f + quadratic * (f * f)
            variance = first + second - 2 * (third_constant + third_linear * f)
        df["variance"] = variance
        df["F_transformed"] = np.log(-np.log(df["Ft"]))
        df["se_transformed"] = np.sqrt(df["variance"]) / (df["Ft"] * np.absolute(np.log(df["Ft"])))
        zalpha = inv_normal_cdf(1 - alpha / 2)
        df[ci_labels[0]] = np.exp(-np.exp(df["F_transformed"] + zalpha * df["se_transformed"]))
        df[ci_labels[1]] = np.exp(-np.exp(df["F_transformed"] - zalpha * df["se_transformed"]))
        return df["variance"], df[ci_labels]
