"""The static files storage: WhiteNoise's compressed manifest, with hashed URLs in DEBUG too."""

import gzip
import zlib
from pathlib import Path

import brotli
from whitenoise.storage import CompressedManifestStaticFilesStorage

DECOMPRESS = {".br": brotli.decompress, ".gz": gzip.decompress}


class HashedCompressedStorage(CompressedManifestStaticFilesStorage):
    """Hashed names with DEBUG on as well as off, so `make run` serves static files like production.

    Django hands out plain names in DEBUG so that runserver can serve the source tree. OpModel has
    no such server: `python -m opmodel web` collects the files before gunicorn starts, in DEBUG as
    well (opmodel/__main__.py). With the content's hash in every name, WhiteNoise marks each file
    immutable and browsers keep it for a year, yet see a changed file at once, under its new name.
    """

    def url(self, name, force=False):
        return super().url(name, force=True)

    def compress_files(self, paths):
        # Brotli at its best level takes some 10 s of CPU over these files, and web collects them at
        # every start: the copies an earlier start left are kept when they still hold the file.
        return super().compress_files([path for path in paths if not self._compressed_already(path)])

    def _compressed_already(self, name: str) -> bool:
        path = Path(self.path(name))
        content = path.read_bytes()
        for suffix, decompress in DECOMPRESS.items():
            copy = path.with_name(path.name + suffix)
            try:
                if decompress(copy.read_bytes()) != content:
                    return False
            except (OSError, EOFError, zlib.error, brotli.error):
                return False  # not written yet, or cut short by an interrupted start
        return True
