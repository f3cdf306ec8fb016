"""Multi-teacher knowledge distillation (issue #10): a contrastive (DINO) and a masked-image
(MAE) ViT teacher distilled into a small ViT student through output distributions and the
attention head each teacher is most confident in.

``build`` (registry: every ViT's sizes), ``models`` (``nn.Module`` only: DINO / MoCo heads and
the MAE decoder), ``pretrained`` (official DINO / MAE checkpoint files -> timm ViTs), ``adapt``
(linear probe / Partial-1 / full fine-tuning), ``attention`` (attention maps from timm blocks,
attention confidence, token-grid matching, attention distance), ``losses`` (output KD,
attention KD, the SSL objectives), ``data`` (offline digits, ImageFolder), ``evaluate`` (top-1,
kNN, latency), ``checkpoint`` (student files), ``predictor`` (numpy in, top-k labels +
attention map out). Needs torch + timm; never imports rclpy.
"""
