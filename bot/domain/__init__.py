"""The pure core: no Telegram, no storage, no I/O."""
