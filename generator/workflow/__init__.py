"""The spec-change workflow around the pipeline: what happens when a spec changes or a client
leaves this repository, rather than how one client is produced.

* :mod:`~generator.workflow.overlay`: OpenAPI Overlays, edits to a spec one does not own,
  applied as the spec is loaded;
* :mod:`~generator.workflow.diff`: ``clientsmith diff``, what changed between two specs for
  the client's users, breaking or not;
* :mod:`~generator.workflow.history`: the package version, the spec snapshot and
  ``CHANGELOG.md``, from that diff;
* :mod:`~generator.workflow.vendor`: ``clientsmith vendor``, a client copied into another
  project;
* :mod:`~generator.workflow.hatch_hook`: the hatchling build hook that generates clients
  while a wheel is built.
"""
