"""The service around the domain: settings, database, HTTP API, command line."""
