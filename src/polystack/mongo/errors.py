"""MongoDB's error identity: :class:`MongoError` (code, codeName, errmsg) and the codes we raise.

Codes and names are MongoDB's own (``src/mongo/base/error_codes.yml``); a code raised with a bare
number in the server (``uassert(40414, ...)``) has the code name ``Location<code>``.
"""

from __future__ import annotations

from typing import Any

# code -> codeName for every named code polystack raises
CODE_NAMES: dict[int, str] = {
    1: "InternalError",
    2: "BadValue",
    4: "NoSuchKey",
    9: "FailedToParse",
    11: "UserNotFound",
    13: "Unauthorized",
    14: "TypeMismatch",
    15: "Overflow",
    16: "InvalidLength",
    17: "ProtocolError",
    18: "AuthenticationFailed",
    20: "IllegalOperation",
    22: "InvalidBSON",
    26: "NamespaceNotFound",
    27: "IndexNotFound",
    28: "PathNotViable",
    30: "InvalidPath",
    40: "ConflictingUpdateOperators",
    43: "CursorNotFound",
    48: "NamespaceExists",
    50: "MaxTimeMSExpired",
    52: "DollarPrefixedFieldName",
    53: "InvalidIdField",
    54: "NotSingleValueField",
    56: "EmptyFieldName",
    57: "DottedFieldName",
    59: "CommandNotFound",
    66: "ImmutableField",
    67: "CannotCreateIndex",
    68: "IndexAlreadyExists",
    72: "InvalidOptions",
    73: "InvalidNamespace",
    76: "NoReplicationEnabled",
    79: "UnknownReplWriteConcern",
    85: "IndexOptionsConflict",
    86: "IndexKeySpecsConflict",
    91: "ShutdownInProgress",
    96: "OperationFailed",
    100: "UnsatisfiableWriteConcern",
    112: "WriteConflict",
    115: "CommandNotSupported",
    116: "DocTooLargeForCapped",
    121: "DocumentValidationFailure",
    125: "CommandFailed",
    136: "CappedPositionLost",
    146: "ExceededMemoryLimit",
    147: "ZLibError",
    157: "CanRepairToDowngrade",
    166: "CommandNotSupportedOnView",
    168: "InvalidPipelineOperator",
    171: "CannotIndexParallelArrays",
    175: "QueryPlanKilled",
    197: "InvalidIndexSpecificationOption",
    206: "NoSuchSession",
    223: "IllegalOpMsgFlag",
    225: "TransactionTooOld",
    233: "TooManyDocumentSequences",
    237: "CursorKilled",
    238: "NotImplemented",
    241: "ConversionFailure",
    251: "NoSuchTransaction",
    256: "TransactionCommitted",
    262: "ExceededTimeLimit",
    263: "OperationNotSupportedInTransaction",
    276: "IndexBuildAborted",
    279: "ClientDisconnect",
    288: "ChecksumMismatch",
    292: "QueryExceededMemoryLimitNoDiskUseAllowed",
    309: "ExhaustCommandFinished",
    352: "UnsupportedOpQueryCommand",
    357: "InvalidBSONType",
    10334: "BSONObjectTooLarge",
    11000: "DuplicateKey",
    11600: "InterruptedAtShutdown",
    11601: "Interrupted",
    13297: "DatabaseDifferCase",
    14031: "OutOfDiskSpace",
    40413: "IDLDuplicateField",
    40414: "IDLFailedToParse",
    40415: "IDLUnknownField",
    50768: "NotARetryableWriteCommand",
}


def code_name(code: int) -> str:
    return CODE_NAMES.get(code) or f"Location{code}"


class MongoError(Exception):
    """An error with MongoDB's identity; the session turns it into ``{ok: 0, errmsg, code, codeName}``.

    ``extra`` holds fields MongoDB adds to the reply (``keyPattern``/``keyValue`` for E11000,
    ``errInfo`` for document validation).
    """

    __slots__ = ("code", "code_name", "errmsg", "extra")

    def __init__(
        self,
        code: int,
        errmsg: str,
        code_name_: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(errmsg)
        self.code = code
        self.code_name = code_name_ or code_name(code)
        self.errmsg = errmsg
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.errmsg} (code {self.code} {self.code_name})"

    def to_reply(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": 0.0, "errmsg": self.errmsg, "code": self.code}
        out["codeName"] = self.code_name
        if self.extra:
            out.update(self.extra)
        return out

    def write_error(self, index: int) -> dict[str, Any]:
        """The ``writeErrors`` entry for this error at batch position ``index``."""
        out: dict[str, Any] = {"index": index, "code": self.code}
        if self.extra:
            out.update(self.extra)
        out["errmsg"] = self.errmsg
        return out


class ProtocolViolation(Exception):
    """A broken stream (bad header, oversized or undecodable message): the connection is closed."""


def bad_value(msg: str) -> MongoError:
    return MongoError(2, msg)


def type_mismatch(msg: str) -> MongoError:
    return MongoError(14, msg)


def failed_to_parse(msg: str) -> MongoError:
    return MongoError(9, msg)
