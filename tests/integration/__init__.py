"""Real third-party integrations: Lightning, HF Trainer, accelerate and DDP (gloo on loopback)."""
