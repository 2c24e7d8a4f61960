"""Every number a reader sees, formatted once: input and expected output side by side, in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.report import numbers


@pytest.mark.parametrize("value, lang, expected", [
    pytest.param(2.875, "en", "2.88", id="two_decimals"),
    pytest.param(2.875, "id", "2,88", id="two_decimals_decimal_comma"),
    pytest.param(3.245, "id", "3,25", id="tie_rounds_up_as_written"),
    pytest.param(3.245, "en", "3.25", id="tie_rounds_up_in_english_too"),
    pytest.param(3.24, "id", "3,24", id="indonesian_writes_a_comma"),
    pytest.param(3.0, "en", "3.00", id="trailing_zeros_kept"),
    pytest.param(-0.001, "en", "0.00", id="no_negative_zero"),
    pytest.param(-0.004, "id", "0,00", id="no_negative_zero_id"),
    pytest.param(-1.5, "en", "\u22121.50", id="minus_sign_u2212"),
    pytest.param(np.nan, "en", "-", id="nan_missing"),
    pytest.param(pd.NA, "id", "-", id="pd_na_missing"),
    pytest.param(None, "en", "-", id="none_missing"),
])
def test_fmt_score(value, lang, expected):
    assert numbers.fmt_score(value, lang) == expected


@pytest.mark.parametrize("fmt, value, expected", [
    pytest.param(numbers.fmt_pct, 62.5, "63", id="percentile_62_5_is_63_as_everywhere"),
    pytest.param(numbers.fmt_pct, 82.5, "83", id="percentile_half_up"),
    pytest.param(numbers.fmt_pct, 46.324, "46", id="percentile_whole"),
    pytest.param(numbers.fmt_int, 8.0, "8", id="rank_without_point_zero"),
    pytest.param(numbers.fmt_int, np.float64(37), "37", id="numpy_rank"),
    pytest.param(numbers.fmt_int, 12.5, "13", id="rank_band_half_up_not_to_even"),
    pytest.param(numbers.fmt_int, 2024, "2024", id="year_never_grouped"),
    pytest.param(numbers.fmt_int, -2, "\u22122", id="whole_minus_sign"),
    pytest.param(numbers.fmt_share, 0.625, "63", id="share_as_whole_percentage"),
])
def test_whole_numbers(fmt, value, expected):
    assert fmt(value) == expected


@pytest.mark.parametrize("value, lang, expected", [
    pytest.param(0.301, "en", "+0.30", id="signed_positive"),
    pytest.param(-0.12, "en", "\u22120.12", id="signed_negative"),
    pytest.param(-0.12, "id", "\u22120,12", id="signed_negative_id"),
    pytest.param(0.004, "en", "0.00", id="signed_zero_without_sign"),
    pytest.param(-0.004, "id", "0,00", id="signed_negative_zero_without_sign"),
])
def test_fmt_signed(value, lang, expected):
    assert numbers.fmt_signed(value, lang) == expected


@pytest.mark.parametrize("call, expected", [
    pytest.param(lambda: numbers.fmt_count(12345, "id"), "12.345", id="count_grouped_id"),
    pytest.param(lambda: numbers.fmt_count(12345, "en"), "12,345", id="count_grouped_en"),
    pytest.param(lambda: numbers.fmt_p(0.0004, "en"), "< 0.001", id="p_floor"),
    pytest.param(lambda: numbers.fmt_p(0.0123, "id"), "0,012", id="p_three_decimals_id"),
    pytest.param(lambda: numbers.fmt_range(6.0, 20.0), "6–20", id="rank_range"),
    pytest.param(lambda: numbers.fmt_range(3, 3), "3", id="rank_range_one_number"),
    pytest.param(lambda: numbers.fmt_range(np.nan, 4), "-", id="rank_range_missing"),
    pytest.param(lambda: numbers.fmt_interval(0.362949, 0.429498, "en"), "[0.36, 0.43]", id="interval_en"),
    pytest.param(lambda: numbers.fmt_interval(0.362949, 0.429498, "id"), "[0,36; 0,43]", id="interval_id_semicolon"),
    pytest.param(lambda: numbers.fmt_estimate(0.404, -0.00001, 0.43, "en"), "0.40 [0.00, 0.43]",
                 id="estimate_interval_never_minus_zero"),
    pytest.param(lambda: numbers.fmt_interval(-0.03, 0.0047, "en"), "[\u22120.030, 0.005]",
                 id="interval_bound_keeps_its_sign"),
    pytest.param(lambda: numbers.fmt_interval(-0.0312, 0.0047, "id"), "[\u22120,031; 0,005]",
                 id="interval_bound_keeps_its_sign_id"),
    pytest.param(lambda: numbers.fmt_estimate(0.404, -0.001, 0.43, "en"), "0.404 [\u22120.001, 0.430]",
                 id="estimate_interval_keeps_a_negative_bound"),
    pytest.param(lambda: numbers.fmt_interval(0.0, 0.43, "en"), "[0.00, 0.43]", id="interval_exact_zero_as_is"),
    pytest.param(lambda: numbers.fmt_estimate(0.404, np.nan, np.nan, "id"), "0,40", id="estimate_alone"),
    pytest.param(lambda: numbers.fmt_estimate(np.nan, 0.1, 0.2, "en"), "", id="no_estimate_empty"),
    pytest.param(lambda: numbers.fmt_plain(0.5, "id"), "0,5", id="factor_as_short_as_exact"),
    pytest.param(lambda: numbers.fmt_plain(2.0, "en"), "2", id="factor_whole"),
    pytest.param(lambda: numbers.fmt_share_interval(0.45, 0.375, 0.54), "45 [38–54]", id="share_with_interval"),
])
def test_other_formats(call, expected):
    assert call() == expected


def test_rounding_is_half_up_on_the_number_as_written():
    # round() rounds half to even and 2.675 is stored a hair below 2.675: both would give 2.67 or 62.
    assert round(62.5) == 62 and numbers.round_half_up(62.5) == 63
    assert numbers.round_half_up(2.675, 2) == 2.68
    assert numbers.round_half_up(-2.5) == -3


def test_an_estimate_with_fewer_decimals_rounds_its_interval_alike():
    assert numbers.fmt_estimate(0.4123, 0.3, 0.55, "en", decimals=1) == "0.4 [0.3, 0.6]"
    assert numbers.fmt_estimate(0.4123, 0.3, np.nan, "en") == "0.41"
