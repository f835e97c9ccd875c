"""The documentation site: static HTML generated from the merged knowledge (``dvtkg docs build``)."""

from dvtkg.docs.site import DocsError, SiteResult, build_site

__all__ = ["DocsError", "SiteResult", "build_site"]
