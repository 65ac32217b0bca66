"""The HTTP service (``criteria-nlp serve``): parse, lint, screen and match over HTTP, the FHIR ``$match``
operation and the protocol-author page.

Modules: :mod:`.settings` (limits and options), :mod:`.library` (the trial library in SQLite), :mod:`.matching`
(one patient against the library, ranked), :mod:`.fhir` (the CodeX ``$match`` shapes), :mod:`.models` (request and
response bodies), :mod:`.compute` (the time budget), :mod:`.middleware` (body limit, access log), :mod:`.errors`
(error responses), :mod:`.app` (the FastAPI application). Only :mod:`.app`, :mod:`.models`, :mod:`.compute`,
:mod:`.middleware` and :mod:`.errors` need the ``service`` extra; the library and matching serve the CLI too.
"""
