"""Sign in, sign out, join a class, change one's own password."""
from .routes import bp

__all__ = ["bp"]
