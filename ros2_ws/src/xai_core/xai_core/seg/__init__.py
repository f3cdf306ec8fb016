"""Semantic segmentation of the head-camera RGB image into the navigation policy's four classes
(0 wall, 1 floor, 2 furniture, 3 person; ``xai_sim.LABEL_NAMES``).

``models`` (``nn.Module`` only), ``build`` (registry: sizes live there), ``checkpoint`` (save /
load with validation), ``predictor`` (numpy in, labels out), ``metrics`` (confusion matrix, IoU),
``data`` (rendered training / held-out sets from ``xai_sim``). Needs torch; never imports rclpy.
"""
