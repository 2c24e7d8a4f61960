"""Stage 3, analysis -> reports: per-regency numbers, figures, texts, the index page and the notebook runner.
"""
