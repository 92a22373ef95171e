"""What the tests share: factories per app, worlds built through the services, and the
helpers several test modules use. Test modules import from here and from conftest's
fixtures, never from one another (the import-linter contract in pyproject.toml)."""
