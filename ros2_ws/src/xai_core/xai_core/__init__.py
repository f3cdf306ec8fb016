"""Pure-Python core of the explainable HSR stack.

Everything here is plain Python + numpy (+ torch in the model modules) and never imports rclpy:
ROS nodes in ``xai_nodes`` convert messages and call into this package; training scripts and
benchmarks use it directly.
"""

__version__ = "0.1.0"
