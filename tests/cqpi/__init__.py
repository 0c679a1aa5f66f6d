"""Tests of the project glue: health, settings, the development runner and the scripts."""
