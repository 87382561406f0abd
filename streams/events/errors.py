"""Named rejections: every article a stage refuses carries one stable reason code."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Stable reason codes shared by dead-letter events, logs, metrics and tests."""

    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    EMPTY_BODY = "empty_body"
    NOT_UTF8 = "not_utf8"
    BINARY = "binary"
    TOO_LARGE = "too_large"
    NO_TEXT = "no_text"
    TOO_MANY_PARAGRAPHS = "too_many_paragraphs"
    STAGE_ERROR = "stage_error"
    # The article killed the NLP child process (a segfault, out of memory) on its own, after a retry.
    NLP_CRASHED = "nlp_crashed"


class Rejected(Exception):
    """An input a stage will not process; it goes to the dead-letter topic with `reason`."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[Rejected], tuple[Reason, str]]:
        # Pickled by its fields (the NLP child process sends rejections back): not by `args`.
        return (type(self), (self.reason, self.detail))
