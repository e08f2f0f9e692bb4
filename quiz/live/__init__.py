"""Live class mode: an instructor runs a set on the projector, the class answers on its phones."""
from .routes import bp

__all__ = ["bp"]
