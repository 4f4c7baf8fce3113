"""Programme designs: each a small rule module behind the :class:`Programme` interface."""

from sim.programmes.base import Programme, Relationships, Sessions
from sim.programmes.mentorship import MentorshipProgramme
from sim.programmes.peer_coaching import PeerCoachingProgramme

RULES: dict[str, type[Programme]] = {
    MentorshipProgramme.kind: MentorshipProgramme,
    PeerCoachingProgramme.kind: PeerCoachingProgramme,
}

__all__ = [
    "RULES",
    "MentorshipProgramme",
    "PeerCoachingProgramme",
    "Programme",
    "Relationships",
    "Sessions",
]
