"""Errors a user can fix, each printed by ``smartcity`` as one line without a traceback.

Every other exception is a bug and keeps its traceback. ``UserError`` derives
from ``ValueError`` so that callers who catch bad values keep working, but the
command line recognises user errors by this type alone, never by "any
``ValueError``".
"""

from __future__ import annotations


class UserError(ValueError):
    """Input the user can fix: a bad parameter, an unknown name, a missing step; the message says how."""


class RawFileError(UserError):
    """A raw file cannot be read as any accepted layout."""


class ReferenceTableError(UserError):
    """A reference table is inconsistent (for example, an alias maps to two names)."""


class DriverInputError(UserError):
    """The table given to the driver analysis cannot be analysed as it is."""


class MissingInputError(UserError, FileNotFoundError):
    """A table that an earlier step writes is not there yet; the message names the command that makes it."""


class RawConflictError(RawFileError):
    """Two raw files give different values for the same thing and no rule says which one holds."""


class DataNote(UserWarning):
    """Something about the data the user should know and can act on; the run goes on (printed once)."""
