"""rclpy nodes of the explainable HSR stack (logic lives in xai_core / xai_sim)."""
