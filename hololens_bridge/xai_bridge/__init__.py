"""xai_bridge: stream explained point clouds to HoloLens 2 and browser clients (PROTOCOL.md)."""
