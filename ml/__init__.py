"""Hotspot models: features, labels, training, backtests and the data they read.

A library (it imports no service) with a command line (`python -m ml`); the predictor
service (`services/predictor`) runs the same code on a schedule and serves its rankings.
"""
