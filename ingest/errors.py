"""Errors a file can fail ingest with; each message names the problem in plain words."""


class IngestError(Exception):
    """A file could not be turned into a record. `str(error)` is shown to the user next to the file."""


class NotAPDFError(IngestError):
    pass


class EncryptedPDFError(IngestError):
    pass


class LimitExceededError(IngestError):
    pass
