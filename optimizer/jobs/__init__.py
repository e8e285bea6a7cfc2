"""Jobs: load, bind, compute and write for each command (run, coverage, justify, locate)."""
