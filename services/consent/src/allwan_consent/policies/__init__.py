"""The policy texts the service ships: version 1 is the store's published text (PC1)."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files

from allwan_consent.domain.policy import PolicyDraft

FIRST_SUMMARY_AR = "النسخة الأولى المنشورة من سياسة الاستخدام والخصوصية."
FIRST_SUMMARY_EN = "First published version of the terms of use and privacy policy."


def shipped_text(name: str) -> str:
    """A policy text shipped with the service, e.g. ``v1.ar.txt``."""
    return (files(__package__) / name).read_text(encoding="utf-8")


def first_version(effective_at: datetime) -> PolicyDraft:
    """Version 1, published at first start when no policy exists: nothing to re-confirm."""
    return PolicyDraft(
        text_ar=shipped_text("v1.ar.txt"),
        text_en=shipped_text("v1.en.txt"),
        summary_ar=FIRST_SUMMARY_AR,
        summary_en=FIRST_SUMMARY_EN,
        material=False,
        effective_at=effective_at,
        requested_by="service:consent",
    )
