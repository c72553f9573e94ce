"""Pure scheduling engine: model, validation, timeline and profile maths (no Home Assistant)."""
