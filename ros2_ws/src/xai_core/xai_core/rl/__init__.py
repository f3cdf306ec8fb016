"""Reinforcement-learning pieces shared by more than one training script (CleanRL rule 3)."""
