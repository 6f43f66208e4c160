"""Generic trainer and the per-method training steps that plug into it."""
