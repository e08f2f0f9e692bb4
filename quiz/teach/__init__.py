"""What instructors see under /teach/."""
from . import drafting  # noqa: F401  (registers /teach/sets/draft on the blueprint)
from . import assignments  # noqa: F401 - registers the assignment pages on the blueprint
from .routes import bp

__all__ = ["bp"]
