"""Static files storage for production: hashed, compressed names served by WhiteNoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # A file missing from the manifest falls back to its plain name instead of raising, so
    # test runs and management commands work before `collectstatic` has been run.
    manifest_strict = False
