"""`make interop`: the exported files and the Open311 API opened by the tools a kommun uses.

Not part of `make test` or CI: it installs Debian packages (LibreOffice, GDAL, a Swedish
locale) and takes about a minute. Run as `python -m interop` (docs/interop.md).
"""
