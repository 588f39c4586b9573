"""ffmot's benchmarks: `make bench` runs bench/run (see docs/benchmarks.md)."""
