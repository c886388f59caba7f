"""Every error a user can cause or meet, each with its exit status.

The CLI prints ``qa: <message>`` on one line and exits with ``exit_code``;
the chat shows the same message as a notification. Nothing else is caught
broadly, so a real bug still shows its traceback.
"""


class QAError(Exception):
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(QAError):
    exit_code = 2


class ModelUnavailable(QAError):
    exit_code = 3


class IndexUnavailable(QAError):
    """No index, or one that cannot be read: the message says how to rebuild."""

    exit_code = 4


class IndexBusy(QAError):
    exit_code = 5


class DocumentsUnavailable(QAError):
    """The folder to index is missing or holds no readable text file."""

    exit_code = 6


class IndexWriteFailed(QAError):
    """Writing a new index failed (disk full, permissions): the previous one stays live."""

    exit_code = 7


def loads_json(text: str | bytes):
    """JSON from outside qa (a file, a reply, a line of input): ValueError when it is not JSON, nested too deeply
    included (json raises RecursionError on ``[[[[…``: a hundred thousand brackets are 100 KB)."""
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
