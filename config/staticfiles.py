"""Static files in production: whitenoise's hashed, compressed copies, made by `collectstatic` at each release."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    for extension, rules in patterns:
        kept = tuple(rule for rule in rules if "sourceMappingURL" not in (rule if isinstance(rule, str) else rule[0]))
        yield extension, kept


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Source-map comments are left as they are: vendored libraries name maps they do not ship (leaflet.js.map),
    and hashing such a reference fails the whole collectstatic."""

    patterns = tuple(_without_source_maps(ManifestStaticFilesStorage.patterns))
