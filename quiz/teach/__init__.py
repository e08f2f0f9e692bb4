"""What instructors see under /teach/."""
from .routes import bp

__all__ = ["bp"]
