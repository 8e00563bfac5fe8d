"""clientsmith: generate typed, vendorable Python API clients from OpenAPI documents."""

__version__ = "0.1.0"
