"""The one exception type crit reports to its user.

Everything that can go wrong because of what the user gave us (a missing
file, a damaged image, a JSON document that does not fit the schema) is
raised as CritError with a message meant to be read by a person.  The
command line prints it as one line and exits non-zero; anything else that
escapes is a bug in crit.
"""


class CritError(Exception):
    """A user-facing failure: str(err) is the whole explanation."""
