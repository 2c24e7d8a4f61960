"""Errors a user can fix, each printed by ``smartcity`` as one line without a traceback.

Every other exception is a bug and keeps its traceback. ``UserError`` derives
from ``ValueError`` so that callers who catch bad values keep working, but the
command line recognises user errors by this type alone, never by "any
``ValueError``".
"""

from __future__ import annotations

import unicodedata


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


class MixedOutputsError(UserError):
    """A folder of tables holds files of two runs (one was interrupted); the message names the command to rerun."""


class FolderInUseError(UserError):
    """Another run holds the folder's lock file; the message names it."""


class RawConflictError(RawFileError):
    """Two raw files give different values for the same thing and no rule says which one holds."""


class DataNote(UserWarning):
    """Something about the data the user should know and can act on; the run goes on (printed once)."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped (Ctrl-C or SIGTERM); ``str()`` says how, and what was finished when
    ``says_what_was_finished`` is set."""

    says_what_was_finished = False


def printable(text: object) -> str:
    """``text`` with control and invisible format characters escaped (``\\n``, ``\\x1b``, ``\\u202e``).

    Every message that names a file goes through it, so a file name holding a
    line break cannot forge a second ``smartcity: error:`` line, and one
    holding a terminal escape or a right-to-left mark cannot change what the
    reader sees.
    """
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(repr(ch)[1:-1] if ch in "\n\r\t" else f"\\x{ord(ch):02x}" if ord(ch) < 256
                       else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)
