"""Stage 1, raw -> processed: read every raw sheet, keep or reject each row, write validated tables.

``sheets`` reads files into cell grids and recognises each sheet's layout; one
module per layout (``recap``, ``assessor``, ``form``, ``quick_wins``,
``cohorts``, ``published``) parses its rows; ``builders`` builds the tables of
a layout's own (one loop over the layouts' builders); ``assemble`` builds the
processed tables; ``schemas`` validates them; ``template`` writes the assessor
workbook.
"""

from smartcity_utils.clean.assemble import Cleaned, clean_raw_folder, run_clean
from smartcity_utils.tables import PROCESSED_TABLES as TABLES

__all__ = ["TABLES", "Cleaned", "clean_raw_folder", "run_clean"]
