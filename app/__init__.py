"""Multiprocessing Playground: a classroom app that shows what multiprocessing really does."""
