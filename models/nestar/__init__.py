"""NestAR: nested autoregressive image generation with per-token flow matching (arXiv 2510.23028), as built here."""
