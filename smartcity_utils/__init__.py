"""Cleaning, analysis and reporting for Indonesia's smart city evaluation."""

__version__ = "0.1.0"


def load_tables(processed_dir=None):
    """The clean and analysis tables as tidy frames (see :func:`smartcity_utils.explore.load_tables`)."""
    from smartcity_utils.explore import load_tables as load

    return load(processed_dir)
