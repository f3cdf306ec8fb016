"""Launch files and configuration of the explainable HSR stack (data only)."""
