"""ffmot: Functional Fitness MOT days, from the test stations to the take-home sheet."""

__version__ = "0.1.0"
