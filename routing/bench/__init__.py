"""`make bench`: Kordon against a direct call to the same fake upstream, in the same run."""
