"""Cleaning, analysis and reporting for Indonesia's smart city evaluation."""

__version__ = "0.1.0"
