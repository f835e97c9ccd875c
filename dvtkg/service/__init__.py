"""A CDS Hooks 2.0 service over the assessment pipeline, and a page to try it (``dvtkg serve``).

Modules: ``settings`` (configuration from flags and environment), ``models`` (the spec's request,
response, discovery and feedback shapes as pydantic models), ``catalog`` (the services this
server offers), ``prefetch`` (prefetch templates and FHIR reads), ``patient`` (FHIR resources to
an assessment), ``orders`` (draft orders to interventions), ``cards`` (an assessment to cards),
``guidance`` (the loaded knowledge base, one per worker), ``feedback`` (SQLite store),
``security`` (JWT of the CDS client), ``http`` (size limit, access log), ``app`` (the routes),
``page`` (the try-it page), ``bench`` (load measurement).
"""
