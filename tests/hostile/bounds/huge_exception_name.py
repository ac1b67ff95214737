"""An import that fails with an exception class of a 3 MB name."""

Huge = type("E" * 3_000_000, (Exception,), {})
raise Huge("and a message")
