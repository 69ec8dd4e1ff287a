"""Typed identifiers. Ids are random UUID4 strings: they reveal nothing about content or time."""

from __future__ import annotations

import uuid
from typing import NewType

ReportId = NewType("ReportId", str)
WitnessId = NewType("WitnessId", str)
AttachmentId = NewType("AttachmentId", str)


def new_report_id() -> ReportId:
    return ReportId(str(uuid.uuid4()))


def new_witness_id() -> WitnessId:
    return WitnessId(str(uuid.uuid4()))


def new_attachment_id() -> AttachmentId:
    return AttachmentId(str(uuid.uuid4()))


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except (ValueError, AttributeError, TypeError):
        return False
