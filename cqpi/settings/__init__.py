"""Settings modules: base (development defaults), test and production."""
