"""The one home of the repository's SQL (the top-level ``sql/`` folder), one module per job.

* ``files``     where ``sql/`` is, and the one metadata format: a ``<name>.yml`` sidecar beside
                every ``<name>.sql`` (models: contract; named queries: description + typed params).
* ``bind``      ``:name`` placeholders -> positional ``?`` + values (analyst values are bound).
* ``render``    the one ``{{ name }}`` template renderer (strict: an undefined name is an error).
* ``ddl``       ``sql/ddl/<table>.sql``: rendering for a deployment, parsing its column list.
* ``hive_types`` the one mapping between Athena (Hive DDL) types and Arrow types.
* ``models``    ``sql/models/``: curated models and their contracts.
* ``params``    typed parameters of named queries and their converters/validators.
* ``queries``   ``sql/queries/``: named analyst queries (a query may fill a shared base query).
* ``readonly``  the check that analyst SQL is one read-only statement.

Importing this package reads no file and imports nothing heavy.
"""
