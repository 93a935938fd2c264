"""Trygghetsboten: a Telegram bot for medborgarlöften. Nothing is created on import."""

__version__ = "0.1.0"
