"""Key ids of a subject's data-key generations: ``<subject>`` is the first, ``<subject>.<n>``
generation n ≥ 2 (``allwan_contracts.sealed.subject_of`` reads a kid back). No I/O."""

from __future__ import annotations

from allwan_contracts.sealed import subject_of


def kid_of(subject: str, generation: int) -> str:
    """The key id of the subject's ``generation`` (1 is the subject itself, as before rotation)."""
    return subject if generation == 1 else f"{subject}.{generation}"


def generation_of(subject: str, kid: str) -> int:
    """Which generation of ``subject``'s key ``kid`` names; ``ValueError`` if it is not theirs."""
    if subject_of(kid) != subject:
        raise ValueError("the key id does not belong to this subject")
    return 1 if kid == subject else int(kid.rpartition(".")[2])


def check_subject(subject: str) -> None:
    """Refuse a subject that could be mistaken for another subject's generation."""
    if not subject or "." in subject:
        raise ValueError("a key subject is non-empty and has no '.'")
