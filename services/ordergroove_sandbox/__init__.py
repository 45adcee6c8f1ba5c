"""An in-memory imitation of Ordergroove's REST API for tests, benchmarks and `make run`."""
