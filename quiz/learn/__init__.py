"""What learners see: sets, taking a quiz one question per page, review, progress."""
from .routes import bp

__all__ = ["bp"]
