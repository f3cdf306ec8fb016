"""Navigation: discrete action contract and (later) the AQT / sketch-AQT policies."""
