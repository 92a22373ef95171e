"""The fictional demo council, built for `make run` and the tests."""
