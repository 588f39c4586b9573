"""Use cases: each opens its own transaction and returns frozen dataclasses, never ORM rows."""
