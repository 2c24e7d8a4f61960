"""The banner says what is simulated, including pages that mix real and simulated years."""

from smartcity_utils.report import texts


def test_fully_simulated_page_gets_the_simulated_banner():
    html = texts.banner_html(True, "id")
    assert "simulated-banner" in html and texts.BANNER_TEXT["id"] in html


def test_real_years_of_a_simulated_page_are_named_in_its_banner():
    words = texts.banner_plain(True, "en", real_years=[2024, 2023])
    assert "2023, 2024" in words and "simulator" in words and words != texts.BANNER_TEXT["en"]
    assert "simulated-banner" in texts.banner_html(True, "id", real_years=[2024])
    assert "2024" in texts.banner_plain(True, "id", real_years=[2024])


def test_a_real_page_gets_the_real_banner():
    assert texts.banner_plain(False, "id") == texts.REAL_TEXT["id"]
    assert "real-banner" in texts.banner_html(False, "en", real_years=[2024])
